//! The public API surface as data: every operation a service serves through the
//! gateway, with its method, path pattern, whether it needs credentials and which
//! per-IP limit guards it. One table per service is the single source of
//! - the service's dispatch and its 405s (`find`), including the `Allow` header;
//! - the gateway's public-path and per-IP rate-limit decisions (`policy`);
//! - the OpenAPI document, whose completeness is checked against these tables.
//!
//! Paths are relative to the service's gateway prefix (`auth/sign-in/email` is
//! `/api/v1/iam/auth/sign-in/email` at the gateway and `/api/auth/sign-in/email` in
//! IAM), so the gateway and the service read the same row. `{name}` matches one
//! non-empty path segment.

pub mod billing;
pub mod iam;
pub mod onboarding;
pub mod provisioning;
pub mod registry;

use crate::ratelimit::Rule;
use crate::routing;
use crate::Service;
use std::fmt;

/// The methods NNO serves. Anything else is answered 405 (never treated as GET).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Lower-case, as OpenAPI names operations.
    pub const fn lower(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Head => "head",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any credential the gateway accepts (service key, session, API key).
    Authenticated,
    /// No credential needed (sign-in and recovery, health, the document itself).
    Public,
}

/// One operation: `method path`, its OpenAPI `operationId`, who may call it, and the
/// per-client-IP limit the gateway applies before any credential work.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<Op: 'static> {
    pub method: Method,
    pub path: &'static str,
    pub id: &'static str,
    pub op: Op,
    pub access: Access,
    pub ip_limit: Option<Rule>,
}

/// A table row (the tables are `const`, one row per line).
pub(crate) const fn endpoint<Op>(
    method: Method,
    path: &'static str,
    id: &'static str,
    op: Op,
    access: Access,
    ip_limit: Option<Rule>,
) -> Endpoint<Op> {
    Endpoint {
        method,
        path,
        id,
        op,
        access,
        ip_limit,
    }
}

impl<Op> Endpoint<Op> {
    fn matches(&self, segments: &[&str]) -> bool {
        let mut pattern = self.path.split('/');
        let mut given = segments.iter();
        loop {
            match (pattern.next(), given.next()) {
                (None, None) => return true,
                (Some(p), Some(s)) => {
                    let param = p.starts_with('{') && p.ends_with('}');
                    if !(if param { !s.is_empty() } else { p == *s }) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    /// The values of the `{name}` segments, in order.
    fn params<'p>(&self, segments: &[&'p str]) -> Vec<&'p str> {
        self.path
            .split('/')
            .zip(segments)
            .filter(|(p, _)| p.starts_with('{'))
            .map(|(_, s)| *s)
            .collect()
    }
}

/// What a request finds in a table.
#[derive(Debug, PartialEq)]
pub enum Found<'t, 'p, Op: 'static> {
    Op(&'t Endpoint<Op>, Vec<&'p str>),
    /// The path exists, with other methods (for `Allow`).
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

impl<Op: PartialEq> PartialEq for Endpoint<Op> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.op == other.op
    }
}

/// Looks `method path` up in `table`. An unknown method on a known path is a 405.
pub fn find<'t, 'p, Op>(
    table: &'t [Endpoint<Op>],
    method: &str,
    path: &'p str,
) -> Found<'t, 'p, Op> {
    let segments: Vec<&str> = path.split('/').collect();
    let method = Method::parse(method);
    let mut allowed = Vec::new();
    for e in table.iter().filter(|e| e.matches(&segments)) {
        if Some(e.method) == method {
            return Found::Op(e, e.params(&segments));
        }
        allowed.push(e.method);
    }
    if allowed.is_empty() {
        Found::NotFound
    } else {
        allowed.sort();
        allowed.dedup();
        Found::MethodNotAllowed(allowed)
    }
}

/// The `Allow` header value for a list of methods.
pub fn allow_header(methods: &[Method]) -> String {
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the gateway must know about a path before it authenticates the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Some operation at this path is served without credentials.
    pub public: bool,
    /// The strictest per-IP limit of the operations at this path.
    pub ip_limit: Option<Rule>,
}

/// An operation of any service, without its dispatch value: what the gateway and the
/// OpenAPI document see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub service: Service,
    pub method: Method,
    /// The full gateway path pattern.
    pub path: &'static str,
    pub id: &'static str,
    pub access: Access,
    pub ip_limit: Option<Rule>,
}

fn merge<Op>(table: &[Endpoint<Op>], rest: &str) -> Option<Policy> {
    let segments: Vec<&str> = rest.split('/').collect();
    let mut found = None::<Policy>;
    for e in table.iter().filter(|e| e.matches(&segments)) {
        let p = found.get_or_insert_with(Policy::default);
        p.public |= e.access == Access::Public;
        p.ip_limit = match (p.ip_limit, e.ip_limit) {
            (Some(a), Some(b)) => Some(if b.stricter_than(&a) { b } else { a }),
            (a, b) => a.or(b),
        };
    }
    found
}

/// The gateway's own operations (served before routing).
pub const GATEWAY: [(Method, &str, &str); 5] = [
    (Method::Get, "/health", "gatewayHealth"),
    (Method::Head, "/health", "gatewayHealthHead"),
    (Method::Get, "/health/live", "gatewayLive"),
    (Method::Head, "/health/live", "gatewayLiveHead"),
    (Method::Get, "/api/v1/openapi.json", "openapiDocument"),
];

/// The policy of a gateway path: public if any operation there is public (so an
/// anonymous caller gets the 405 for a wrong method, not a 401), limited per IP by the
/// strictest rule there. Paths no table knows get the default: credentials required,
/// no per-IP limit. A service's health checks are public under every prefix; the deep
/// ones (`/health`, which cost storage round trips and, at the gateway, a call to every
/// upstream) are limited per IP (`ratelimit::HEALTH`), `/health/live` is not.
pub fn policy(path: &str) -> Policy {
    if GATEWAY.iter().any(|(_, p, _)| *p == path) {
        return Policy {
            public: true,
            ip_limit: (path == "/health").then_some(crate::ratelimit::HEALTH),
        };
    }
    let Some(route) = routing::ROUTES.iter().find(|r| {
        path.strip_prefix(r.prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }) else {
        return Policy::default();
    };
    let rest = path[route.prefix.len()..].trim_start_matches('/');
    if matches!(rest, "health" | "health/live") {
        return Policy {
            public: true,
            ip_limit: (rest == "health").then_some(crate::ratelimit::HEALTH),
        };
    }
    let found = match route.service {
        Service::Iam => merge(&iam::ENDPOINTS, rest),
        Service::Registry if route.prefix == onboarding::PREFIX => {
            merge(&onboarding::ENDPOINTS, rest)
        }
        Service::Registry => merge(&registry::ENDPOINTS, rest),
        Service::Provisioning => merge(&provisioning::ENDPOINTS, rest),
        Service::Billing => merge(&billing::ENDPOINTS, rest),
        _ => None,
    };
    found.unwrap_or_default()
}

/// Every operation served through the gateway, as full gateway paths: the gateway's
/// own, each service's health checks under its prefixes, and every service table.
pub fn operations() -> Vec<Operation> {
    let mut out: Vec<Operation> = GATEWAY
        .iter()
        .map(|(method, path, id)| Operation {
            service: Service::Gateway,
            method: *method,
            path,
            id,
            access: Access::Public,
            ip_limit: None,
        })
        .collect();
    fn add<Op>(out: &mut Vec<Operation>, service: Service, prefix: &str, table: &[Endpoint<Op>]) {
        for e in table {
            out.push(Operation {
                service,
                method: e.method,
                // The collection itself (`""`) is the prefix, without a trailing slash.
                path: if e.path.is_empty() {
                    leak(prefix.to_string())
                } else {
                    leak(format!("{prefix}/{}", e.path))
                },
                id: e.id,
                access: e.access,
                ip_limit: e.ip_limit,
            });
        }
    }
    for route in routing::ROUTES.iter() {
        for (method, suffix, kind) in [
            (Method::Get, "health", "Health"),
            (Method::Get, "health/live", "Live"),
        ] {
            out.push(Operation {
                service: route.service,
                method,
                path: leak(format!("{}/{suffix}", route.prefix)),
                id: leak(format!("{}{kind}", camel(route.prefix))),
                access: Access::Public,
                ip_limit: None,
            });
        }
        match route.service {
            Service::Iam => add(&mut out, Service::Iam, route.prefix, &iam::ENDPOINTS),
            Service::Registry if route.prefix == onboarding::PREFIX => add(
                &mut out,
                route.service,
                route.prefix,
                &onboarding::ENDPOINTS,
            ),
            Service::Registry => add(&mut out, route.service, route.prefix, &registry::ENDPOINTS),
            Service::Provisioning => add(
                &mut out,
                route.service,
                route.prefix,
                &provisioning::ENDPOINTS,
            ),
            Service::Billing => add(&mut out, route.service, route.prefix, &billing::ENDPOINTS),
            _ => {}
        }
    }
    out
}

/// `/api/v1/onboarding` -> `onboarding` (a stable operationId stem per prefix).
fn camel(prefix: &str) -> String {
    prefix.rsplit('/').next().unwrap_or(prefix).replace('-', "")
}

/// `operations()` is for native tools and tests; the few strings it builds live as
/// long as the process.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum T {
        A,
        B,
        C,
    }
    const TABLE: [Endpoint<T>; 3] = [
        Endpoint {
            method: Method::Get,
            path: "things",
            id: "listThings",
            op: T::A,
            access: Access::Authenticated,
            ip_limit: None,
        },
        Endpoint {
            method: Method::Post,
            path: "things",
            id: "createThing",
            op: T::B,
            access: Access::Public,
            ip_limit: None,
        },
        Endpoint {
            method: Method::Delete,
            path: "things/{id}/{part}",
            id: "deleteThing",
            op: T::C,
            access: Access::Authenticated,
            ip_limit: None,
        },
    ];

    #[test]
    fn finds_by_method_and_pattern() {
        match find(&TABLE, "DELETE", "things/a1/b2") {
            Found::Op(e, params) => {
                assert_eq!(e.op, T::C);
                assert_eq!(params, ["a1", "b2"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(find(&TABLE, "POST", "things"), Found::Op(e, _) if e.op == T::B));
        assert_eq!(find(&TABLE, "GET", "things/a1"), Found::NotFound);
        assert_eq!(find(&TABLE, "GET", "things/a1/"), Found::NotFound);
        assert_eq!(find(&TABLE, "GET", "things/"), Found::NotFound);
        assert_eq!(find(&TABLE, "DELETE", "things//b"), Found::NotFound);
    }

    #[test]
    fn other_and_unknown_methods_are_405_with_allow() {
        assert_eq!(
            find(&TABLE, "PUT", "things"),
            Found::MethodNotAllowed(vec![Method::Get, Method::Post])
        );
        assert_eq!(
            find(&TABLE, "BREW", "things"),
            Found::MethodNotAllowed(vec![Method::Get, Method::Post])
        );
        assert_eq!(
            find(&TABLE, "get", "things"),
            Found::MethodNotAllowed(vec![Method::Get, Method::Post])
        );
        assert_eq!(allow_header(&[Method::Get, Method::Post]), "GET, POST");
    }

    #[test]
    fn policy_merges_the_operations_at_a_path() {
        let p = merge(&TABLE, "things").unwrap();
        assert!(p.public);
        assert_eq!(merge(&TABLE, "nothing"), None);
        assert!(policy("/health").public);
        assert!(policy("/api/v1/openapi.json").public);
        assert!(policy("/api/v1/billing/health/live").public);
        assert!(!policy("/api/v1/billing/subscription").public);
        assert!(policy("/api/v1/billing/webhooks/stripe").public);
        assert!(!policy("/api/v1/nope").public);
        assert!(policy("/api/v1/platforms/health/live").public);
        assert!(!policy("/api/v1/platforms/abc/health").public);
        assert!(!policy("/api/v1/platforms").public);
        assert!(!policy("/nope/health").public);
    }

    #[test]
    fn deep_health_checks_are_limited_per_ip_and_live_ones_are_not() {
        use crate::ratelimit::HEALTH;
        assert_eq!(policy("/health").ip_limit, Some(HEALTH));
        assert_eq!(policy("/api/v1/iam/health").ip_limit, Some(HEALTH));
        assert_eq!(policy("/api/v1/billing/health").ip_limit, Some(HEALTH));
        assert_eq!(policy("/health/live").ip_limit, None);
        assert_eq!(policy("/api/v1/iam/health/live").ip_limit, None);
        assert_eq!(policy("/api/v1/openapi.json").ip_limit, None);
    }

    #[test]
    fn operation_ids_are_unique_and_paths_absolute() {
        let ops = operations();
        let mut ids: Vec<_> = ops.iter().map(|o| o.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate operationId");
        assert!(ops.iter().all(|o| o.path.starts_with('/')));
        let mut keys: Vec<_> = ops.iter().map(|o| (o.method, o.path)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "an operation is listed twice");
    }
}
