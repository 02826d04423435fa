// The gateway people would otherwise write, for `cargo xtask bench`; never deployed.
//
// A minimal Hono gateway (Hono was the original NNO's stack) doing what NNO's gateway
// does on a public route, with Hono's building blocks: a request id (an incoming
// x-request-id kept when valid, else a UUID), CORS from an allowed-origins list,
// prefix routing through a service binding with the prefix rewritten (the table of
// crates/nno-core/src/routing.rs), NNO's JSON error envelope for 404 and 502, and one
// JSON log line per request (as NNO's gateway writes). No authentication, rate limits,
// trace context or identity signing: those are NNO's extra work.

import { Hono } from "hono";
import { cors } from "hono/cors";

// [prefix, service, binding, upstream base]; only NNO_BILLING is bound in wrangler.toml.
const ROUTES = [
  ["/api/v1/iam", "iam", "NNO_IAM", "/api"],
  ["/api/v1/platforms", "registry", "NNO_REGISTRY", "/api/v1/platforms"],
  ["/api/v1/billing", "billing", "NNO_BILLING", ""],
  ["/api/v1/provisioning", "provisioning", "NNO_PROVISIONING", "/api/v1/provision"],
  ["/api/v1/stacks", "stack-registry", "NNO_STACK_REGISTRY", "/api/v1/stacks"],
  ["/api/v1/cli", "cli", "NNO_CLI", "/api/v1/platforms"],
  ["/api/v1/onboarding", "registry", "NNO_REGISTRY", "/api/v1/onboarding"],
];

const envelope = (c, status, code, message, details) =>
  c.json(
    { error: { code, message, requestId: c.get("requestId"), details } },
    status,
  );

const app = new Hono();

app.use(async (c, next) => {
  const started = Date.now();
  await next();
  const status = c.res.status;
  const level = status >= 500 ? "error" : status >= 400 ? "warn" : "info";
  const line = {
    level,
    msg: "request",
    service: "bench-hono",
    env: c.env.ENVIRONMENT,
    requestId: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    status,
    durationMs: Date.now() - started,
    upstream: c.get("upstream"),
  };
  console[level](JSON.stringify(line));
});
// As hono/request-id does, but with NNO's rule for a valid id (hono's own accepts
// `[\w=-]` only, up to 255 characters): 1-128 of [A-Za-z0-9._:-].
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
app.use(async (c, next) => {
  const incoming = c.req.header("x-request-id")?.trim();
  const id = incoming && VALID_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  c.header("x-request-id", id);
  await next();
});
// The origins come from the environment, so the middleware is made on the first request.
let corsMiddleware;
app.use((c, next) => {
  corsMiddleware ??= cors({
    origin: (c.env.CORS_ORIGINS ?? "")
      .split(",")
      .map((o) => o.trim().replace(/\/+$/, ""))
      .filter(Boolean),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["authorization", "content-type", "x-request-id"],
    exposeHeaders: ["x-request-id", "retry-after"],
    maxAge: 600,
  });
  return corsMiddleware(c, next);
});

for (const [prefix, service, binding, base] of ROUTES) {
  const forward = async (c) => {
    const url = new URL(c.req.url);
    url.pathname = base + url.pathname.slice(prefix.length) || "/";
    c.set("upstream", service);
    const upstream = c.env[binding];
    if (!upstream) {
      return envelope(c, 502, "UPSTREAM_UNAVAILABLE", `the ${service} service is not bound`, {
        service,
      });
    }
    const req = new Request(url, c.req.raw);
    req.headers.set("x-request-id", c.get("requestId"));
    let res;
    try {
      res = await upstream.fetch(req);
    } catch {
      return envelope(c, 502, "UPSTREAM_UNAVAILABLE", `the ${service} service could not be reached`, {
        service,
      });
    }
    // An upstream 5xx that is not JSON comes from the runtime: replaced by an envelope.
    const json = (res.headers.get("content-type") ?? "").startsWith("application/json");
    if (res.status >= 500 && !json) {
      return envelope(c, 502, "UPSTREAM_ERROR", `the ${service} service failed (status ${res.status})`, {
        service,
      });
    }
    return res;
  };
  app.all(prefix, forward);
  app.all(`${prefix}/*`, forward);
}

app.notFound((c) =>
  envelope(c, 404, "NOT_FOUND", `no route for ${c.req.path}`, { path: c.req.path }),
);
app.onError((_err, c) => envelope(c, 500, "INTERNAL", "internal error", null));

export default app;
