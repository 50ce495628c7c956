// Type helpers that read request and response types out of the GENERATED `paths` (never hand-written).
import type { paths } from './schema';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Responses<P extends keyof paths, M extends Method> = Operation<P, M> extends { responses: infer R } ? R : never;
type Json<R> = R extends { content: { 'application/json': infer J } } ? J : never;
type Ok = 200 | 201 | 202;

/** The JSON body of the operation's success response. */
export type ApiData<P extends keyof paths, M extends Method> = Json<Responses<P, M>[Extract<keyof Responses<P, M>, Ok>]>;

/** The JSON request body of the operation. */
export type ApiBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

/** The query parameters of the operation. */
export type ApiQuery<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
