//! `components`: the shared schemas (the error envelope with its closed code set, and
//! the bodies IAM answers with), the error responses per status, the headers and the
//! security schemes.

use crate::{codes_by_status, json_response, with_headers};
use nno_core::ErrorCode;
use serde_json::{json, Map, Value};

/// `{"$ref": "#/components/schemas/<name>"}`.
pub fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub fn string() -> Value {
    json!({ "type": "string" })
}

pub fn nullable_string() -> Value {
    json!({ "type": ["string", "null"] })
}

/// An ISO 8601 timestamp as JavaScript's `toISOString` writes it.
pub fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

pub fn nullable_time() -> Value {
    json!({ "type": ["string", "null"], "format": "date-time" })
}

/// An object with exactly these properties, all present.
pub fn closed(props: Value) -> Value {
    let required: Vec<String> = props
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": props, "additionalProperties": false })
}

/// A request body object: `required` named, unknown fields refused (IAM's bodies are
/// `deny_unknown_fields`, answered 422).
pub fn body(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props, "additionalProperties": false })
}

/// The properties of `a` and then `b` in one object.
pub fn merge(a: Value, b: Value) -> Value {
    let mut m = a.as_object().cloned().unwrap_or_default();
    m.extend(b.as_object().cloned().unwrap_or_default());
    Value::Object(m)
}

pub fn organization_props() -> Value {
    json!({
        "id": string(), "name": string(), "slug": string(), "logo": nullable_string(),
        "metadata": { "type": ["object", "null"] },
        "orgType": { "type": "string", "enum": ["tenant", "nno-operator"] },
        "createdAt": time(),
    })
}

pub fn invitation_props() -> Value {
    json!({
        "id": string(), "organizationId": string(), "email": string(), "role": role(),
        "status": { "type": "string", "enum": ["pending", "accepted", "rejected", "canceled"] },
        "expiresAt": time(), "inviterId": string(), "createdAt": time(),
    })
}

pub fn api_key_props() -> Value {
    json!({
        "id": string(), "name": string(),
        "start": { "type": "string", "description": "the key's first characters, to recognise it" },
        "owner": { "oneOf": [
            closed(json!({ "type": { "const": "tenant" }, "orgId": string(), "createdBy": string() })),
            closed(json!({ "type": { "const": "user" }, "userId": string() })),
        ]},
        "scopes": { "type": "array", "items": string() },
        "rateLimit": closed(json!({ "max": { "type": "integer" }, "windowSeconds": { "type": "integer" } })),
        "expiresAt": nullable_time(), "lastUsedAt": nullable_time(), "revokedAt": nullable_time(),
        "createdAt": time(),
    })
}

pub fn role() -> Value {
    json!({ "type": "string", "enum": ["owner", "admin", "member"] })
}

fn schemas() -> Value {
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let role = role();
    let user = closed(json!({
        "id": string(), "name": string(), "email": string(), "emailVerified": { "type": "boolean" },
        "image": nullable_string(), "role": { "type": "string", "description": "platform role: `platform-admin` or `user`" },
        "twoFactorEnabled": { "type": "boolean" }, "createdAt": time(), "updatedAt": time(),
    }));
    let session = closed(json!({
        "id": string(), "token": string(), "userId": string(), "expiresAt": time(),
        "ipAddress": nullable_string(), "userAgent": nullable_string(),
        "activeOrganizationId": nullable_string(), "createdAt": time(), "updatedAt": time(),
    }));
    let organization = closed(organization_props());
    let member_user = closed(json!({
        "id": string(), "name": nullable_string(), "email": string(), "image": nullable_string(),
    }));
    let member = json!({
        "type": "object",
        "required": ["id", "organizationId", "userId", "role", "createdAt"],
        "properties": {
            "id": string(), "organizationId": string(), "userId": string(), "role": role,
            "createdAt": time(), "user": member_user,
        },
        "additionalProperties": false,
    });
    let invitation = closed(invitation_props());
    let full = closed(merge(
        organization_props(),
        json!({
            "members": { "type": "array", "items": r("Member") },
            "invitations": { "type": "array", "items": r("Invitation"), "description": "empty unless the caller may manage members" },
        }),
    ));
    let key = closed(api_key_props());
    let grant = closed(json!({
        "id": string(), "orgId": string(), "userId": string(), "permission": string(),
        "granted": { "type": "boolean", "description": "true for a grant, false for a denial" },
        "grantedBy": string(),
        "expiresAt": { "type": ["integer", "null"], "description": "Unix milliseconds" },
        "createdAt": time(),
    }));
    let check = json!({
        "type": "object",
        "required": ["name", "status", "latencyMs"],
        "properties": {
            "name": string(), "status": r("HealthStatus"), "latencyMs": { "type": "number" },
            "error": string(),
        },
        "additionalProperties": false,
    });
    let health = json!({
        "type": "object",
        "required": ["service", "environment", "status", "checks"],
        "properties": {
            "service": string(), "environment": string(), "status": r("HealthStatus"),
            "checks": { "type": "array", "items": r("HealthCheck") },
            "upstreams": { "type": "array", "items": r("HealthReport") },
        },
        "additionalProperties": false,
    });
    json!({
        "ErrorCode": {
            "type": "string",
            "enum": codes,
            "description": "The closed set of error codes (`nno_core::ErrorCode`); each fixes its HTTP status.",
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "requestId", "details"],
                    "properties": {
                        "code": r("ErrorCode"),
                        "message": string(),
                        "requestId": string(),
                        "details": { "description": "what the error is about (field, limit, …); null when nothing more is to be said" },
                    },
                    "additionalProperties": false,
                },
            },
        },
        "AuthError": {
            "description": "An error under `/api/v1/iam/auth/*`. The ones IAM produces add Better Auth's top-level `code` (a finer reason such as `INVALID_EMAIL_OR_PASSWORD`, else the envelope's code) and `message`; the ones the gateway produces before IAM is reached (401, 429, 502, 503) are the plain envelope.",
            "allOf": [r("Error"), {
                "type": "object",
                "properties": { "code": string(), "message": string() },
            }],
        },
        "User": user,
        "Session": session,
        "SessionAndUser": closed(json!({ "session": r("Session"), "user": r("User") })),
        "TokenAndUser": closed(json!({ "token": string(), "user": r("User") })),
        "TwoFactorChallenge": closed(json!({
            "twoFactorRedirect": { "const": true },
            "twoFactorMethods": { "type": "array", "items": { "const": "totp" } },
        })),
        "Status": closed(json!({ "status": { "const": true } })),
        "Redirect": closed(json!({ "redirect": { "const": true }, "url": string() })),
        "Organization": organization,
        "FullOrganization": full,
        "Member": member,
        "Invitation": invitation,
        "ApiKey": key,
        "Grant": grant,
        "HealthStatus": { "type": "string", "enum": ["ok", "degraded", "down"] },
        "HealthCheck": check,
        "HealthReport": health,
        "HealthSummary": {
            "type": "object",
            "description": "The roll-up anyone may see of the gateway's `/health` (the checks, binding names and latencies are for the service key).",
            "required": ["service", "environment", "status"],
            "properties": {
                "service": string(), "environment": string(), "status": r("HealthStatus"),
            },
            "additionalProperties": false,
        },
        "Permission": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9-]{0,62}:[a-z-]+$",
            "maxLength": 128,
            "description": "`{featureId}:{action}`, e.g. `billing:read`",
        },
    })
}

fn headers() -> Value {
    let h = |description: &str, required: bool, schema: Value| json!({ "description": description, "required": required, "schema": schema });
    json!({
        "RequestId": h("The request's id: the caller's own `x-request-id` when it is 1–128 characters of `[A-Za-z0-9._:-]`, else a new UUID.", true,
            json!({ "type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$" })),
        "TraceResponse": h("W3C trace context of this hop: `00-<trace id>-<span id>-<flags>`.", true,
            json!({ "type": "string", "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$" })),
        "RetryAfter": h("Seconds until the request may be repeated.", true,
            json!({ "type": "string", "pattern": "^[0-9]+$" })),
        "RateLimit": h("`limit=N, remaining=N, reset=S` (IETF RateLimit header), on refusals by the gateway's limits.", false, string()),
        "RateLimitPolicy": h("`N;w=S`: N requests per window of S seconds, on refusals by the gateway's limits.", false, string()),
        "WwwAuthenticate": h("The scheme to authenticate with.", true, json!({ "type": "string", "const": "Bearer" })),
        "Allow": h("The methods the path serves.", true, string()),
        "SetCookie": h("Session, challenge, trusted-device or OAuth state cookies set or cleared.", false, string()),
        "Location": h("Where the browser is sent.", true, string()),
        "AuthorizeLocation": h("The provider's authorization URL, unless `disableRedirect` was asked for.", false, string()),
        "CacheControl": h("How long the answer may be cached.", true, string()),
    })
}

fn responses() -> Value {
    let mut out = Map::new();
    for (status, codes) in codes_by_status() {
        let what = match status {
            400 => "Bad request: malformed JSON (`INVALID_JSON`) or a request the operation cannot serve (`BAD_REQUEST`).",
            401 => "Missing, invalid or expired credentials.",
            403 => "Not allowed: the caller lacks the permission, a cookie session wrote without a trusted `Origin`, or a CORS preflight was refused.",
            404 => "Not found.",
            405 => "The path does not serve this method; `Allow` lists the ones it does.",
            409 => "Conflict with the current state.",
            413 => "The body is larger than 64 KiB.",
            415 => "The body is not `application/json`.",
            422 => "The body or a parameter is invalid (`details.field` names it).",
            423 => "The platform is suspended.",
            429 => "Too many requests; retry after `Retry-After` seconds.",
            500 => "Internal error (never expected).",
            502 => "An upstream service or external API answered something unusable.",
            503 => "An upstream service, the rate limiter or an external API could not be reached.",
            504 => "An upstream service or external API did not answer in time.",
            _ => "Error.",
        };
        for (prefix, base) in [("Error", "Error"), ("AuthError", "AuthError")] {
            let schema = json!({ "allOf": [crate::schemas::r(base), {
                "type": "object",
                "properties": { "error": { "type": "object", "properties": { "code": { "enum": codes } } } },
            }]});
            let mut resp = json_response(what, schema);
            resp = match status {
                401 => with_headers(resp, &[("www-authenticate", "WwwAuthenticate")]),
                405 => with_headers(resp, &[("allow", "Allow")]),
                429 => with_headers(
                    resp,
                    &[
                        ("retry-after", "RetryAfter"),
                        ("ratelimit", "RateLimit"),
                        ("ratelimit-policy", "RateLimitPolicy"),
                    ],
                ),
                _ => resp,
            };
            out.insert(format!("{prefix}{status}"), resp);
        }
    }
    Value::Object(out)
}

fn security_schemes() -> Value {
    json!({
        "sessionCookie": {
            "type": "apiKey", "in": "cookie", "name": "better-auth.session_token",
            "description": "The signed session cookie set by sign-in. A state-changing request with it must carry an `Origin` from the environment's CORS origins.",
        },
        "sessionBearer": {
            "type": "http", "scheme": "bearer", "bearerFormat": "session token",
            "description": "The session token (`token` in the sign-in answer) as a bearer token.",
        },
        "apiKey": {
            "type": "http", "scheme": "bearer", "bearerFormat": "nno_<32 base32 characters>",
            "description": "An API key; bounded at every use by its scopes and by what its person may do in the tenant.",
        },
        "serviceKey": {
            "type": "http", "scheme": "bearer", "bearerFormat": "the gateway's AUTH_API_KEY",
            "description": "The service key, for operators and other NNO services; never forwarded.",
        },
    })
}

pub fn components() -> Value {
    json!({
        "schemas": schemas(),
        "responses": responses(),
        "headers": headers(),
        "securitySchemes": security_schemes(),
    })
}
