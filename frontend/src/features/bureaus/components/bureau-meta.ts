/** Display names and the secret fields each bureau's configuration carries (DESIGN §5). */
export const BUREAU_META: Record<string, { name: string; secrets: string[]; blurb: string }> = {
  cibil: { name: 'TransUnion CIBIL', secrets: ['password', 'api_key'], blurb: 'JSON API; member id, password and API-key header' },
  experian: { name: 'Experian', secrets: ['client_id', 'client_secret'], blurb: 'OAuth2 client credentials, then a JSON report' },
  crif: { name: 'CRIF High Mark', secrets: ['user_id', 'password'], blurb: 'XML API; member id, user id and password' },
};

export function secretFields(bureau: string, credentials: Record<string, unknown> | undefined): string[] {
  const known = BUREAU_META[bureau]?.secrets ?? [];
  const present = Object.keys(credentials ?? {});
  return [...new Set([...known, ...present])];
}

export function secretLabel(field: string): string {
  return (
    { api_key: 'API key', client_id: 'Client id', client_secret: 'Client secret', user_id: 'User id', password: 'Password' }[field] ?? field
  );
}
