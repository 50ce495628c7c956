import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, fieldErrors, unwrap } from './errors';

describe('ApiError', () => {
  it('carries the API detail, code and request id', () => {
    const e = new ApiError(423, { error: 'AccountLocked', detail: 'Account locked after 5 failed sign-ins', request_id: 'r-1' });
    expect(e.detail).toBe('Account locked after 5 failed sign-ins');
    expect(e.code).toBe('AccountLocked');
    expect(e.requestId).toBe('r-1');
    expect(errorMessage(e)).toBe('Account locked after 5 failed sign-ins');
  });

  it('tells a missing route from a missing resource', () => {
    expect(new ApiError(404, { detail: 'No route for GET /api/v1/tenants/x/models' }).routeMissing).toBe(true);
    expect(new ApiError(404, { detail: 'Application not found' }).routeMissing).toBe(false);
  });

  it('falls back to a readable sentence when the body has no detail', () => {
    expect(new ApiError(502, null, '502 Bad Gateway').detail).toBe('502 Bad Gateway');
    expect(errorMessage(new TypeError('Failed to fetch'))).toMatch(/Cannot reach/);
  });

  it('maps 422 field paths to form keys', () => {
    const e = new ApiError(422, {
      detail: 'x',
      fields: [
        { field: 'body.admin.password', message: 'Value error, Password must be 12–128 characters' },
        { field: 'body.slug', message: 'String should match pattern' },
      ],
    });
    expect(fieldErrors(e)).toEqual({ 'admin.password': 'Password must be 12–128 characters', slug: 'String should match pattern' });
  });
});

describe('unwrap', () => {
  it('returns data on success and throws the API error otherwise', () => {
    expect(unwrap({ data: { ok: 1 }, response: new Response(null, { status: 200 }) })).toEqual({ ok: 1 });
    expect(() => unwrap({ error: { detail: 'Forbidden here' }, response: new Response(null, { status: 403 }) })).toThrowError(
      'Forbidden here',
    );
  });
});
