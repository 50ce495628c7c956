// The one typed API client. Types are GENERATED (schema.d.ts) from the backend's /openapi.json.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { authFetch } from '@/lib/session';

export type { components, paths };
export type Schemas = components['schemas'];

// Absolute base: the portal is served by the API server itself (same origin).
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', fetch: authFetch });
