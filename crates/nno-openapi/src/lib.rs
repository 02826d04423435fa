//! NNO's public API as one OpenAPI 3.1 document, generated from the route tables.
//!
//! The operations (method, gateway path, operationId, public or not, per-IP limit)
//! come from `nno_core::api::operations()`, the same tables the gateway and the
//! services dispatch with; this crate adds what a table does not know: a summary, a
//! tag, the request body, the query parameters, the responses and the links between
//! operations (`iam.rs`, `gateway.rs`). The error responses each operation can give
//! follow from what it is (every proxied operation can meet the gateway's 401, 429,
//! 502 and 503; every operation with a JSON body can be refused with 400, 413, 415 and
//! 422), and their error codes from `ErrorCode::ALL`, so neither can drift.
//!
//! The generated JSON is committed (`openapi.json`) and served by the gateway from
//! that file; `cargo xtask openapi` rewrites it, and a test fails when it is stale.

mod billing;
mod gateway;
mod iam;
mod provisioning;
mod registry;
mod schemas;

use nno_core::api::{self, Operation};
use nno_core::{ErrorCode, Service};
use serde_json::{json, Map, Value};

/// Where the committed document lives, relative to the repository root.
pub const DOCUMENT_PATH: &str = "crates/nno-openapi/openapi.json";
/// The command that rewrites it.
pub const REGENERATE: &str = "cargo xtask openapi";

/// The committed document (what the gateway serves).
pub const COMMITTED: &str = include_str!("../openapi.json");

/// Which credentials an operation accepts, as its `security` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No credentials are looked at (`security: []`).
    None,
    /// Public; a credential is accepted but changes nothing (`[{}]`).
    Public,
    /// Public, and a session (if any) is used (`[{}, session…]`).
    OptionalSession,
    /// A signed-in person only (an API key or the service key gets 401).
    Session,
    /// A session or an API key.
    SessionOrKey,
    /// Any credential the gateway accepts gets past it; the service refuses them all.
    GatewayOnly,
    /// The service key only.
    ServiceKey,
    /// A session, an API key or the service key, each checked by the service (for
    /// registry, against the platform's owning tenant).
    Any,
}

impl Auth {
    fn security(self) -> Value {
        let s = |name: &str| json!({ name: [] });
        let session = [s("sessionBearer"), s("sessionCookie")];
        let list: Vec<Value> = match self {
            Auth::None => vec![],
            Auth::Public => vec![json!({})],
            Auth::OptionalSession => [vec![json!({})], session.to_vec()].concat(),
            Auth::Session => session.to_vec(),
            Auth::SessionOrKey => [session.to_vec(), vec![s("apiKey")]].concat(),
            Auth::GatewayOnly => [session.to_vec(), vec![s("apiKey"), s("serviceKey")]].concat(),
            Auth::ServiceKey => vec![s("serviceKey")],
            Auth::Any => [session.to_vec(), vec![s("apiKey"), s("serviceKey")]].concat(),
        };
        Value::Array(list)
    }
}

/// A query parameter.
pub struct Query {
    pub name: &'static str,
    pub required: bool,
    pub description: &'static str,
    pub schema: Value,
}

/// Everything about one operation that its route-table row does not say.
pub struct Describe {
    pub summary: &'static str,
    pub description: &'static str,
    pub tag: &'static str,
    pub auth: Auth,
    pub query: Vec<Query>,
    /// Descriptions of the `{…}` path segments, by name.
    pub path: Vec<(&'static str, &'static str)>,
    /// The JSON request body's schema and an example of it.
    pub body: Option<(Value, Option<Value>)>,
    /// The body may be left out (`requestBody.required: false`).
    body_optional: bool,
    /// Responses by status (full response objects), successes first.
    pub responses: Vec<(u16, Value)>,
    /// Error statuses this operation gives beyond the ones every operation of its kind
    /// can give (see `common_errors`).
    pub errors: Vec<u16>,
    /// OpenAPI links by the status they follow from: (status, name, link object).
    pub links: Vec<(u16, &'static str, Value)>,
}

impl Describe {
    pub fn new(tag: &'static str, summary: &'static str) -> Describe {
        Describe {
            summary,
            description: "",
            tag,
            auth: Auth::Session,
            query: Vec::new(),
            path: Vec::new(),
            body: None,
            body_optional: false,
            responses: Vec::new(),
            errors: Vec::new(),
            links: Vec::new(),
        }
    }
    pub fn doc(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
    pub fn auth(mut self, a: Auth) -> Self {
        self.auth = a;
        self
    }
    pub fn query(
        mut self,
        name: &'static str,
        required: bool,
        description: &'static str,
        schema: Value,
    ) -> Self {
        self.query.push(Query {
            name,
            required,
            description,
            schema,
        });
        self
    }
    pub fn path(mut self, name: &'static str, description: &'static str) -> Self {
        self.path.push((name, description));
        self
    }
    pub fn body(mut self, schema: Value, example: Value) -> Self {
        self.body = Some((schema, Some(example)));
        self
    }
    /// The body, which a caller may also leave out.
    pub fn optional_body(mut self, schema: Value, example: Value) -> Self {
        self.body_optional = true;
        self.body(schema, example)
    }
    pub fn ok(mut self, status: u16, response: Value) -> Self {
        self.responses.push((status, response));
        self
    }
    pub fn errors(mut self, statuses: &[u16]) -> Self {
        self.errors.extend_from_slice(statuses);
        self
    }
    pub fn link(mut self, status: u16, name: &'static str, link: Value) -> Self {
        self.links.push((status, name, link));
        self
    }
}

/// A JSON response with the headers every response carries.
pub fn json_response(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "headers": common_headers(),
        "content": { "application/json": { "schema": schema } },
    })
}

/// A response without a body (HEAD).
pub fn empty_response(description: &str) -> Value {
    json!({ "description": description, "headers": common_headers() })
}

/// `response` with more (optional) headers: `[(name, component)]`.
pub fn with_headers(mut response: Value, extra: &[(&str, &str)]) -> Value {
    for (name, component) in extra {
        response["headers"][*name] = json!({ "$ref": format!("#/components/headers/{component}") });
    }
    response
}

fn common_headers() -> Value {
    json!({
        "x-request-id": { "$ref": "#/components/headers/RequestId" },
        "traceresponse": { "$ref": "#/components/headers/TraceResponse" },
    })
}

/// The error statuses every operation of this kind can give, whatever it does: the
/// gateway's own refusals and failures for anything it forwards, and the body checks
/// (`nno_worker::body::read_json`) for anything with a JSON body.
fn common_errors(op: &Operation, d: &Describe) -> Vec<u16> {
    if op.service == Service::Gateway {
        return Vec::new();
    }
    // 401: missing or refused credentials (also a malformed `nno_…` key on a public
    // path); 403: a cookie session writing without a trusted Origin, or the service's
    // own authorisation; 405: another method on the path (with `Allow`); 429: the
    // per-IP, per-user, per-key and bad-key limits; 502/503: the upstream or the rate
    // limiter failing.
    let mut v = vec![401, 403, 405, 429, 502, 503];
    if d.body.is_some() {
        v.extend([400, 413, 415, 422]);
    }
    v
}

/// Health checks under every service prefix share one description.
fn health_description(op: &Operation) -> Option<Describe> {
    let live = op.path.ends_with("/health/live");
    if !(live || op.path.ends_with("/health")) || op.service == Service::Gateway {
        return None;
    }
    Some(gateway::service_health(op.service, live))
}

/// The description of `op`: the explicit one for its operationId, else the shared one
/// of a service health check.
fn describe(op: &Operation, explicit: &mut Vec<(&'static str, Describe)>) -> Option<Describe> {
    match explicit.iter().position(|(id, _)| *id == op.id) {
        Some(i) => Some(explicit.swap_remove(i).1),
        None => health_description(op),
    }
}

/// Every explicit description: the gateway's own operations, IAM's and provisioning's.
pub fn descriptions() -> Vec<(&'static str, Describe)> {
    let mut v = gateway::descriptions();
    v.extend(iam::descriptions());
    v.extend(registry::descriptions());
    v.extend(provisioning::descriptions());
    v.extend(billing::descriptions());
    v
}

/// The document, or the operationIds that have no description / descriptions that
/// name no operation.
pub fn document() -> Result<Value, String> {
    let ops = api::operations();
    let mut explicit = descriptions();
    let unknown: Vec<&str> = explicit
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !ops.iter().any(|o| o.id == *id))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "descriptions name operations no route serves: {}",
            unknown.join(", ")
        ));
    }
    let mut paths = Map::new();
    let mut missing = Vec::new();
    for op in &ops {
        let Some(d) = describe(op, &mut explicit) else {
            missing.push(op.id);
            continue;
        };
        let item = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        item[op.method.lower()] = operation(op, d);
    }
    if !missing.is_empty() {
        return Err(format!(
            "operations without a description in crates/nno-openapi: {}",
            missing.join(", ")
        ));
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "NNO API",
            "version": "1",
            "summary": "Every operation reachable through the NNO gateway.",
            "description": INFO,
        },
        "servers": [
            { "url": "https://api.nno.app", "description": "production" },
            { "url": "https://api.stg.nno.app", "description": "staging" },
            { "url": "http://127.0.0.1:8787", "description": "local (`cargo xtask dev`)" },
        ],
        "tags": gateway::TAGS.iter().chain(iam::TAGS).chain(registry::TAGS).chain(provisioning::TAGS).chain(billing::TAGS).map(|(name, d)| json!({ "name": name, "description": d })).collect::<Vec<_>>(),
        "paths": paths,
        "components": schemas::components(),
    }))
}

const INFO: &str = "Generated from NNO's route tables (`nno_core::api`) by `crates/nno-openapi`; \
regenerate with `cargo xtask openapi`.\n\n\
Every response carries `x-request-id` and a W3C `traceresponse`. Every error is the envelope \
`{\"error\":{\"code\",\"message\",\"requestId\",\"details\"}}` with a closed set of codes \
(`ErrorCode`); errors under `/api/v1/iam/auth/*` that IAM produces also carry Better Auth's \
top-level `code` (a finer reason) and `message`. A 401 carries `WWW-Authenticate: Bearer`, a \
405 `Allow`, a 429 `Retry-After` (and, from the gateway's limits, `RateLimit` and \
`RateLimit-Policy`).\n\n\
Credentials: the session cookie `better-auth.session_token` or the session token as a bearer \
token, an API key (`Authorization: Bearer nno_…`), or the service key. Authentication \
endpoints are limited per client IP (`x-nno-ip-limit`); signed-in users and API keys have \
their own limits.";

fn operation(op: &Operation, d: Describe) -> Value {
    let compat = op.path.starts_with("/api/v1/iam/auth/");
    let mut o = Map::new();
    o.insert("operationId".into(), json!(op.id));
    o.insert("summary".into(), json!(d.summary));
    if !d.description.is_empty() {
        o.insert("description".into(), json!(d.description));
    }
    o.insert("tags".into(), json!([d.tag]));
    o.insert("security".into(), d.auth.security());
    let mut params: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let description = d
                .path
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, text)| *text);
            json!({
                "name": name, "in": "path", "required": true, "description": description,
                "schema": { "type": "string", "minLength": 1, "maxLength": 512 },
            })
        })
        .collect();
    params.extend(d.query.iter().map(|q| {
        json!({
            "name": q.name, "in": "query", "required": q.required,
            "description": q.description, "schema": q.schema,
        })
    }));
    if !params.is_empty() {
        o.insert("parameters".into(), Value::Array(params));
    }
    if let Some((schema, example)) = &d.body {
        let mut media = json!({ "schema": schema });
        if let Some(e) = example {
            media["example"] = e.clone();
        }
        o.insert(
            "requestBody".into(),
            json!({ "required": !d.body_optional, "content": { "application/json": media } }),
        );
    }
    let mut responses = Map::new();
    for (status, r) in &d.responses {
        responses.insert(status.to_string(), r.clone());
    }
    let mut errors = common_errors(op, &d);
    errors.extend(&d.errors);
    errors.sort_unstable();
    errors.dedup();
    for status in errors {
        let name = if compat {
            format!("AuthError{status}")
        } else {
            format!("Error{status}")
        };
        responses
            .entry(status.to_string())
            .or_insert_with(|| json!({ "$ref": format!("#/components/responses/{name}") }));
    }
    for (status, name, link) in &d.links {
        let key = status.to_string();
        if let Some(r) = responses.get_mut(&key) {
            r["links"][*name] = link.clone();
        }
    }
    o.insert("responses".into(), Value::Object(responses));
    o.insert(
        "x-nno-access".into(),
        json!(match op.access {
            api::Access::Public => "public",
            api::Access::Authenticated => "authenticated",
        }),
    );
    if let Some(rule) = op.ip_limit {
        o.insert(
            "x-nno-ip-limit".into(),
            json!({ "rule": rule.name, "limit": rule.limit, "windowSeconds": rule.window_ms / 1000 }),
        );
    }
    Value::Object(o)
}

/// The document as committed: pretty-printed, with a final newline.
pub fn render() -> Result<String, String> {
    let doc = document()?;
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

/// The error statuses NNO gives and the codes each can carry, from `ErrorCode::ALL`.
pub fn codes_by_status() -> Vec<(u16, Vec<&'static str>)> {
    let mut out: Vec<(u16, Vec<&'static str>)> = Vec::new();
    for code in ErrorCode::ALL {
        match out.iter_mut().find(|(s, _)| *s == code.status()) {
            Some((_, v)) => v.push(code.as_str()),
            None => out.push((code.status(), vec![code.as_str()])),
        }
    }
    out.sort_by_key(|(s, _)| *s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_described_and_every_description_is_served() {
        let ops = api::operations();
        let explicit = descriptions();
        for op in &ops {
            assert!(
                explicit.iter().any(|(id, _)| *id == op.id) || health_description(op).is_some(),
                "operation {} {} ({}) has no description in crates/nno-openapi",
                op.method,
                op.path,
                op.id
            );
        }
        for (id, _) in &explicit {
            assert!(
                ops.iter().any(|o| o.id == *id),
                "crates/nno-openapi describes {id}, which no route serves"
            );
        }
        let mut ids: Vec<_> = explicit.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "an operationId is described twice");
        document().expect("the document builds");
    }

    #[test]
    fn the_committed_document_is_current() {
        let now = render().unwrap();
        assert!(
            COMMITTED == now,
            "{DOCUMENT_PATH} is out of date with the route tables and descriptions: run `{REGENERATE}` and commit it"
        );
    }

    #[test]
    fn the_document_lists_every_operation_once_with_its_method() {
        let doc = document().unwrap();
        let ops = api::operations();
        let mut n = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, o) in item.as_object().unwrap() {
                n += 1;
                let id = o["operationId"].as_str().unwrap();
                let op = ops.iter().find(|op| op.id == id).unwrap();
                assert_eq!(op.path, path);
                assert_eq!(op.method.lower(), method);
                assert!(o["responses"].as_object().is_some_and(|r| !r.is_empty()));
            }
        }
        assert_eq!(n, ops.len());
    }

    #[test]
    fn every_ref_resolves_and_every_link_names_an_operation() {
        let doc = document().unwrap();
        fn walk(v: &Value, refs: &mut Vec<String>, links: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        refs.push(r.clone());
                    }
                    if let Some(Value::Object(l)) = m.get("links") {
                        for link in l.values() {
                            links.push(link["operationId"].as_str().unwrap_or("").to_string());
                        }
                    }
                    m.values().for_each(|x| walk(x, refs, links));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, refs, links)),
                _ => {}
            }
        }
        let (mut refs, mut links) = (Vec::new(), Vec::new());
        walk(&doc, &mut refs, &mut links);
        for r in refs {
            let pointer = r.strip_prefix('#').expect("local ref");
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
        }
        let ops = api::operations();
        assert!(!links.is_empty());
        for l in links {
            assert!(
                ops.iter().any(|o| o.id == l),
                "link to unknown operation {l:?}"
            );
        }
    }

    #[test]
    fn error_codes_are_the_closed_set() {
        let doc = document().unwrap();
        let listed = doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(listed, ErrorCode::ALL.len());
        for (status, codes) in codes_by_status() {
            let r = &doc["components"]["responses"][format!("Error{status}")];
            let schema = &r["content"]["application/json"]["schema"];
            assert_eq!(
                schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"],
                json!(codes),
                "{status}"
            );
        }
    }

    #[test]
    fn operations_that_need_credentials_say_so_and_public_ones_allow_none() {
        let doc = document().unwrap();
        for op in api::operations() {
            let o = &doc["paths"][op.path][op.method.lower()];
            let security = o["security"].as_array().unwrap();
            let anonymous = security.is_empty() || security.iter().any(|s| s == &json!({}));
            assert_eq!(
                anonymous,
                op.access == api::Access::Public,
                "{} {}: security {security:?} vs access {:?}",
                op.method,
                op.path,
                op.access
            );
            if op.access == api::Access::Authenticated {
                assert!(o["responses"]["401"].is_object(), "{}", op.id);
            }
        }
    }

    #[test]
    fn body_operations_document_the_body_refusals() {
        let doc = document().unwrap();
        for op in api::operations() {
            let o = &doc["paths"][op.path][op.method.lower()];
            if o.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(o["responses"][s].is_object(), "{} lacks {s}", op.id);
                }
            }
        }
    }
}
