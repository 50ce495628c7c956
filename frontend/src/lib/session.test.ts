import { afterEach, describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/api-mock';
import { authFetch, getAccessToken, refreshSession, setSession } from './session';

afterEach(() => setSession(null));

describe('authFetch', () => {
  it('sends the in-memory access token as a bearer token', async () => {
    const { calls } = mockApi({ 'GET /api/v1/auth/me': { body: { id: 'u' } } });
    setSession('tok-1', 900);
    const res = await authFetch(new Request('http://localhost/api/v1/auth/me'));
    expect(res.status).toBe(200);
    expect(calls[0]!.headers.get('Authorization')).toBe('Bearer tok-1');
  });

  it('refreshes through the cookie once on a 401 and retries with the new token', async () => {
    let meCalls = 0;
    const { calls } = mockApi({
      'GET /api/v1/tenants': ({ headers }) => {
        meCalls += 1;
        return headers.get('Authorization') === 'Bearer fresh'
          ? { body: { items: [] } }
          : { status: 401, body: { detail: 'Token expired' } };
      },
      'POST /api/v1/auth/refresh': { body: { access_token: 'fresh', expires_in: 900, refresh_token: null, token_type: 'bearer' } },
    });
    setSession('stale', 900);
    const res = await authFetch(new Request('http://localhost/api/v1/tenants'));
    expect(res.status).toBe(200);
    expect(meCalls).toBe(2);
    const refresh = calls.find((c) => c.path === '/api/v1/auth/refresh')!;
    // The browser flow: the server answers with an httpOnly cookie, never a readable refresh token.
    expect(refresh.headers.get('X-CreditDesk-Client')).toBe('web');
    expect(getAccessToken()).toBe('fresh');
  });

  it('ends the session when the refresh is refused', async () => {
    mockApi({
      'GET /api/v1/tenants': { status: 401, body: { detail: 'Token expired' } },
      'POST /api/v1/auth/refresh': { status: 401, body: { detail: 'Refresh token was already used' } },
    });
    setSession('stale', 900);
    const res = await authFetch(new Request('http://localhost/api/v1/tenants'));
    expect(res.status).toBe(401);
    expect(getAccessToken()).toBeNull();
  });

  it('shares one refresh between concurrent callers', async () => {
    const { calls } = mockApi({ 'POST /api/v1/auth/refresh': { body: { access_token: 'a', expires_in: 900 } } });
    await Promise.all([refreshSession(), refreshSession(), refreshSession()]);
    expect(calls.filter((c) => c.path === '/api/v1/auth/refresh')).toHaveLength(1);
  });
});
