// Authorization in the UI: a small policy map mirroring the server's permission names
// (tenancy/permissions.py). The server stays the only authority; this only hides what would 403.

export type Permission =
  | 'tenants:create'
  | 'tenants:read'
  | 'tenants:manage'
  | 'platform_users:manage'
  | 'users:read'
  | 'users:manage'
  | 'api_keys:manage'
  | 'bureaus:read'
  | 'bureaus:manage'
  | 'models:read'
  | 'models:manage'
  | 'policy:read'
  | 'policy:manage'
  | 'applications:create'
  | 'applications:choose_bureaus'
  | 'applications:read_own'
  | 'applications:read'
  | 'batches:create'
  | 'jobs:read'
  | 'portfolio:read'
  | 'portfolio:manage'
  | 'monitoring:read'
  | 'monitoring:manage'
  | 'dashboards:manage'
  | 'audit:read'
  | 'ops:read'
  | 'ops:manage';

/** Does a permission list allow this? `anyOf` arrays pass when one matches. */
export function allows(granted: readonly string[] | undefined, need: Permission | readonly Permission[]): boolean {
  if (!granted) return false;
  const needs: readonly Permission[] = typeof need === 'string' ? [need] : need;
  return needs.some((p) => granted.includes(p));
}
