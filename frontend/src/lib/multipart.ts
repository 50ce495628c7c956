/** openapi-fetch body serializer for multipart uploads (file + form fields). */
export function toFormData(body: Record<string, unknown>): FormData {
  const fd = new FormData();
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || value === null || value === '') continue;
    fd.append(key, value instanceof Blob ? value : String(value));
  }
  return fd;
}
