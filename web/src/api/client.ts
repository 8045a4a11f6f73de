import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** How the dashboard authenticates: kept in this module's memory only, never in web storage. */
export type Credentials = { kind: 'bearer'; token: string } | { kind: 'api-key'; key: string };

let credentials: Credentials | null = null;
let onUnauthorized: () => void = () => undefined;

/** Sets (or clears) the credentials every request carries; a 401 then calls `unauthorized`. */
export function setCredentials(next: Credentials | null, unauthorized: () => void = () => undefined): void {
  credentials = next;
  onUnauthorized = unauthorized;
}

/** The headers that authenticate a request (REST calls and the event stream). */
export function authHeaders(): Record<string, string> {
  if (!credentials) return {};
  return credentials.kind === 'bearer'
    ? { authorization: `Bearer ${credentials.token}` }
    : { 'x-api-key': credentials.key };
}

/** An error answer of the API, with the problem+json `detail` (RFC 9457) when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

/** Reads a problem+json body (`detail`, `title`, `code`, `errors[]`) into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const p = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const fields = Array.isArray(p.errors)
    ? p.errors.flatMap((e: unknown) => {
        const r = (e && typeof e === 'object' ? e : {}) as Record<string, unknown>;
        const field = str(r.field);
        return field ? [{ field, message: str(r.message) ?? '' }] : [];
      })
    : [];
  return new ApiError(
    status,
    str(p.detail) ?? str(p.title) ?? `Request failed (HTTP ${status})`,
    str(p.code),
    fields,
  );
}

const auth: Middleware = {
  onRequest({ request }) {
    for (const [k, v] of Object.entries(authHeaders())) request.headers.set(k, v);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && credentials) onUnauthorized();
    return response;
  },
};

/** The typed client of our own OpenAPI document (web/src/api/openapi.json, `npm run openapi`). */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

/** Unwraps an openapi-fetch result: the data, or an ApiError from the problem+json body. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, 'The gateway cannot be reached; check your connection and try again.');
  }
  const { data, error, response } = result;
  if (!response.ok) throw toApiError(response.status, error);
  return data as T;
}

type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Success<O> = O extends { responses: infer R }
  ? R extends { 200: infer A }
    ? Json<A>
    : R extends { 201: infer B }
      ? Json<B>
      : R extends { 202: infer C }
        ? Json<C>
        : never
  : never;

/** The JSON body of an operation's success answer, e.g. `Res<'/api/instances', 'get'>`. */
export type Res<P extends keyof paths, M extends keyof paths[P]> = Success<paths[P][M]>;
/** The JSON request body of an operation. */
export type Req<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
