// Authorization in the UI: a small policy map over the server's permission names. The names are the
// server's Permission enum (tenancy/permissions.py) as the generated client carries it, never written
// here. The server stays the only authority; this only hides what would 403.
import type { Schemas } from '@/client';

export type Permission = Schemas['Permission'];

/** Does a permission list allow this? `anyOf` arrays pass when one matches. */
export function allows(granted: readonly string[] | undefined, need: Permission | readonly Permission[]): boolean {
  if (!granted) return false;
  const needs: readonly Permission[] = typeof need === 'string' ? [need] : need;
  return needs.some((p) => granted.includes(p));
}
