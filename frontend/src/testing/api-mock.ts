// A tiny fetch stub keyed by "METHOD /path": enough to drive pages and hooks without a server.
import { vi } from 'vitest';

export interface MockReply {
  status?: number;
  body?: unknown;
}
export type Handler = MockReply | ((req: { url: URL; method: string; headers: Headers; body: string }) => MockReply);

export function mockApi(routes: Record<string, Handler>) {
  const calls: { method: string; path: string; headers: Headers; body: string }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(new URL(String(input), 'http://localhost'), init);
    const url = new URL(req.url, 'http://localhost');
    const method = req.method.toUpperCase();
    const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.clone().text();
    calls.push({ method, path: url.pathname, headers: req.headers, body });
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler) {
      return json(404, { error: 'NotFound', detail: `No route for ${method} ${url.pathname}`, request_id: 'test' });
    }
    const reply = typeof handler === 'function' ? handler({ url, method, headers: req.headers, body }) : handler;
    return json(reply.status ?? 200, reply.body ?? {});
  });
  vi.stubGlobal('fetch', fetchMock);
  return { fetchMock, calls };
}

function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export const ME = {
  platformAdmin: {
    id: 'u1',
    email: 'admin@creditdesk.demo',
    name: 'Priya Admin',
    role: 'platform_admin',
    tenant: null,
    permissions: [
      'tenants:create',
      'tenants:read',
      'tenants:manage',
      'users:read',
      'users:manage',
      'audit:read',
      'ops:manage',
      'bureaus:read',
      'bureaus:manage',
      'applications:create',
      'applications:choose_bureaus',
      'applications:read',
      'monitoring:read',
      'models:read',
      'policy:read',
      'portfolio:read',
      'batches:create',
      'api_keys:manage',
      'platform_users:manage',
    ],
  },
  officer: {
    id: 'u4',
    email: 'officer@demo-nbfc.example',
    name: 'Field Officer',
    role: 'field_officer',
    tenant: 'demo-nbfc',
    permissions: ['applications:create', 'applications:read_own', 'batches:create', 'jobs:read'],
  },
};
