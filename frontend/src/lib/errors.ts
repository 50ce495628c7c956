/** An API failure in the server's one error shape: {"error","detail","request_id"}. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string | null;
  readonly fields: { field: string; message: string }[];

  constructor(status: number, body: unknown, fallback = 'The request failed') {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const detail = typeof b.detail === 'string' && b.detail ? b.detail : fallback;
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof b.error === 'string' ? b.error : `HTTP${status}`;
    this.detail = detail;
    this.requestId = typeof b.request_id === 'string' ? b.request_id : null;
    this.fields = Array.isArray(b.fields)
      ? (b.fields as { field: string; message: string }[]).filter((f) => typeof f?.field === 'string' && typeof f?.message === 'string')
      : [];
  }

  /** The server has no such route: an API this deployment does not ship yet. */
  get routeMissing(): boolean {
    return this.status === 404 && this.detail.startsWith('No route for');
  }
}

/** Narrow an openapi-fetch result: return its data or throw an ApiError with the API's detail. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(result.response.status, result.error, `${result.response.status} ${result.response.statusText}`);
  }
  return result.data as T;
}

/** A readable sentence for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof TypeError) return 'Cannot reach the CreditDesk server. Check your connection and try again.';
  if (error instanceof Error) return error.message;
  return 'Something went wrong';
}

/** Field errors of a 422, keyed by the last path segment(s) after "body.". */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const f of error.fields) out[f.field.replace(/^body\./, '')] = f.message.replace(/^Value error, /, '');
  return out;
}
