// The console's one way to the server: the BFF at /api. The browser holds
// only the session cookie (httpOnly, set by the server); the CSRF token
// the session answers lives in memory here and goes with every write.
// Nothing is put in localStorage, sessionStorage or a URL.

/** One field's complaint, as the services name it in problem+json. */
export interface FieldError {
  field: string
  code: string
  message: string
}

/** A refusal or failure, from a problem+json answer (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly requestId = '',
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail || title)
  }
  /** True when the caller is signed in but not allowed. */
  get forbidden() {
    return this.status === 403
  }
}

let csrf = ''

/** Remembers the session's CSRF token (from GET/POST /api/session). */
export function setCSRF(token: string) {
  csrf = token
}

/** Query parameters: empty values are left out, arrays repeated. */
export type Query = Record<string, string | number | boolean | undefined | null | string[]>

export function queryString(q?: Query): string {
  if (!q) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x))
    else p.append(k, String(v))
  }
  const s = p.toString()
  return s ? '?' + s : ''
}

/** Called when the server says the session is gone (401): the app signs in again. */
let onSignedOut: () => void = () => {}
export function whenSignedOut(f: () => void) {
  onSignedOut = f
}

export interface RequestOptions {
  query?: Query
  body?: unknown
  headers?: Record<string, string>
  /** Resolve with the raw Response (downloads) instead of parsed JSON. */
  raw?: boolean
}

/**
 * request sends method path (under /api) and answers the parsed JSON, or
 * throws ApiError with the problem's title, detail and field errors.
 */
export async function request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
  let body: BodyInit | undefined
  if (opts.body instanceof FormData || opts.body instanceof Blob) {
    body = opts.body
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf
  const res = await fetch('/api' + path + queryString(opts.query), {
    method,
    headers,
    body,
    credentials: 'same-origin',
  })
  if (!res.ok) {
    const err = await problemOf(res)
    if (res.status === 401 && !path.startsWith('/session')) onSignedOut()
    throw err
  }
  if (opts.raw) return res as unknown as T
  if (res.status === 204) return undefined as T
  const type = res.headers.get('Content-Type') || ''
  return (type.includes('json') ? await res.json() : await res.text()) as T
}

async function problemOf(res: Response): Promise<ApiError> {
  let p: any = {}
  try {
    p = await res.json()
  } catch {
    /* not JSON: a proxy's page, say */
  }
  return new ApiError(res.status, p.title || res.statusText, p.detail || '', p.errors || [], p.request_id || res.headers.get('X-Request-Id') || '', p)
}

export const api = {
  get: <T = any>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>('POST', path, { body: body ?? {}, headers }),
  patch: <T = any>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  put: <T = any>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  del: <T = any>(path: string) => request<T>('DELETE', path),
}

/** A fresh key for a write that must not happen twice (Idempotency-Key). */
export function idempotencyKey(): string {
  return crypto.randomUUID()
}
