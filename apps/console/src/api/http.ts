// The one way the console calls the gateway: JSON in, JSON out, cookies included, and
// every failure turned into an ApiError carrying the envelope's code, message, request
// id (shown to the user for support) and the field it is about.
import { config } from "../config";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly field: string | null;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, requestId: string | null, details: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
    const f = (details as { field?: unknown } | null)?.field;
    this.field = typeof f === "string" ? f : null;
  }
}

/**
 * The ApiError for a failed answer. Accepts NNO's envelope (`{error: {code, message,
 * requestId, details}}`), Better Auth's top-level `{code, message}` and anything else
 * (a proxy's HTML page), so the user always sees a message and, where there is one,
 * the request id.
 */
export function errorFromResponse(status: number, body: unknown, headerRequestId: string | null): ApiError {
  const env = (body as { error?: unknown } | null)?.error;
  if (env && typeof env === "object") {
    const e = env as { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown };
    return new ApiError(
      status,
      typeof e.code === "string" ? e.code : "UNKNOWN",
      typeof e.message === "string" && e.message ? e.message : `request failed (${status})`,
      typeof e.requestId === "string" ? e.requestId : headerRequestId,
      e.details ?? null,
    );
  }
  const top = body as { code?: unknown; message?: unknown } | null;
  if (top && typeof top.message === "string") {
    return new ApiError(status, typeof top.code === "string" ? top.code : "UNKNOWN", top.message, headerRequestId, null);
  }
  return new ApiError(status, "UNKNOWN", statusText(status), headerRequestId, null);
}

function statusText(status: number): string {
  if (status === 0) return "the gateway could not be reached; check your connection";
  if (status >= 500) return `the server failed (${status}); try again in a moment`;
  return `request failed (${status})`;
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(config.gatewayUrl + withQuery(path, opts.query), {
      method: opts.method ?? "GET",
      headers,
      body,
      credentials: "include",
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "NETWORK", statusText(0), null, null);
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) throw errorFromResponse(res.status, parsed, res.headers.get("x-request-id"));
  return parsed as T;
}
