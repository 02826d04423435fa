//! The gateway's routing table (the architecture seed's "API Routing"): a public path
//! prefix, the upstream service, and the base the prefix is rewritten to.

use crate::service::Service;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Public prefix on the gateway, without a trailing slash.
    pub prefix: &'static str,
    pub service: Service,
    /// What the prefix becomes upstream ("" means the upstream's root).
    pub upstream_base: &'static str,
}

/// Order does not matter: prefixes match on whole path segments, and none is a
/// segment-prefix of another.
pub const ROUTES: [Route; 7] = [
    // /api/v1/iam/auth/* -> /api/auth/*, /api/v1/iam/nno/* -> /api/nno/*
    Route {
        prefix: "/api/v1/iam",
        service: Service::Iam,
        upstream_base: "/api",
    },
    Route {
        prefix: "/api/v1/platforms",
        service: Service::Registry,
        upstream_base: "/api/v1/platforms",
    },
    // Billing mounts at its root: the prefix is stripped and not re-added.
    Route {
        prefix: "/api/v1/billing",
        service: Service::Billing,
        upstream_base: "",
    },
    Route {
        prefix: "/api/v1/provisioning",
        service: Service::Provisioning,
        upstream_base: "/api/v1/provision",
    },
    Route {
        prefix: "/api/v1/stacks",
        service: Service::StackRegistry,
        upstream_base: "/api/v1/stacks",
    },
    Route {
        prefix: "/api/v1/cli",
        service: Service::Cli,
        upstream_base: "/api/v1/platforms",
    },
    Route {
        prefix: "/api/v1/onboarding",
        service: Service::Registry,
        upstream_base: "/api/v1/onboarding",
    },
];

/// A resolved route: which service, and the path (with query) to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub route: &'static Route,
    pub upstream_path: String,
}

/// Splits an absolute URL as the runtime serialises it (`scheme://host/path?query`)
/// into path and query, without a full URL parse: serialised URLs always have a path,
/// and `?`/`#` inside it are percent-encoded. The fragment is dropped.
pub fn split_url(url: &str) -> (&str, Option<&str>) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let path_and_query = rest.find('/').map_or("/", |i| &rest[i..]);
    let path_and_query = path_and_query.split('#').next().unwrap_or("/");
    match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    }
}

/// Resolves a gateway path (no query string) to its upstream, or `None` if no prefix
/// matches. Matching is on whole segments: `/api/v1/iamx` does not match `/api/v1/iam`.
pub fn resolve(path: &str) -> Option<Resolved> {
    ROUTES.iter().find_map(|route| {
        let rest = path.strip_prefix(route.prefix)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let upstream_path = match (route.upstream_base, rest) {
            ("", "") => "/".to_string(),
            (base, rest) => format!("{base}{rest}"),
        };
        Some(Resolved {
            route,
            upstream_path,
        })
    })
}

/// The base paths under which a service is reached through the gateway. A service
/// answers its health check at `/health` and at `<base>/health` for each of these, so
/// `GET <prefix>/health` on the gateway reaches it.
pub fn upstream_bases(service: Service) -> impl Iterator<Item = &'static str> {
    ROUTES
        .iter()
        .filter(move |r| r.service == service)
        .map(|r| r.upstream_base)
}

/// The public gateway prefix whose `/health` reaches `service` (its first route).
pub fn public_prefix(service: Service) -> Option<&'static str> {
    ROUTES
        .iter()
        .find(|r| r.service == service)
        .map(|r| r.prefix)
}

/// How the gateway treats an upstream's answer. An NNO service always answers with
/// JSON (a body or an error envelope), which passes through unchanged, whatever its
/// status. A 5xx that is not JSON comes from the runtime (an exception, a missing
/// Worker) and is replaced by an envelope, so clients only ever see one error format.
pub fn upstream_failure(status: u16, content_type: Option<&str>) -> Option<crate::ErrorCode> {
    let is_json = content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    match status {
        500..=599 if !is_json => Some(match status {
            503 => crate::ErrorCode::UpstreamUnavailable,
            504 => crate::ErrorCode::UpstreamTimeout,
            _ => crate::ErrorCode::UpstreamError,
        }),
        _ => None,
    }
}

/// Which health check a path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthProbe {
    /// `/health`: a round trip to the service's own storage.
    Ready,
    /// `/health/live`: the Worker answers, nothing else touched.
    Live,
}

/// Recognises a service's health paths: `/health` and `/health/live` at the root and
/// under each of its upstream bases (so every gateway prefix reaches them).
pub fn health_probe(service: Service, path: &str) -> Option<HealthProbe> {
    let probe = |rest: &str| match rest {
        "/health" => Some(HealthProbe::Ready),
        "/health/live" => Some(HealthProbe::Live),
        _ => None,
    };
    probe(path).or_else(|| {
        upstream_bases(service)
            .filter(|b| !b.is_empty())
            .find_map(|b| path.strip_prefix(b).and_then(probe))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(path: &str) -> Option<(Service, String)> {
        resolve(path).map(|r| (r.route.service, r.upstream_path))
    }

    #[test]
    fn every_prefix_rewrites_as_the_seed_table_says() {
        let cases = [
            (
                "/api/v1/iam/auth/sign-in/email",
                Service::Iam,
                "/api/auth/sign-in/email",
            ),
            ("/api/v1/iam/nno/session", Service::Iam, "/api/nno/session"),
            (
                "/api/v1/platforms/abc",
                Service::Registry,
                "/api/v1/platforms/abc",
            ),
            ("/api/v1/platforms", Service::Registry, "/api/v1/platforms"),
            (
                "/api/v1/billing/api/billing/subscription",
                Service::Billing,
                "/api/billing/subscription",
            ),
            ("/api/v1/billing/usage", Service::Billing, "/usage"),
            (
                "/api/v1/provisioning/jobs/1",
                Service::Provisioning,
                "/api/v1/provision/jobs/1",
            ),
            (
                "/api/v1/stacks/saas-starter",
                Service::StackRegistry,
                "/api/v1/stacks/saas-starter",
            ),
            (
                "/api/v1/cli/k3m9p2xw7q/repo",
                Service::Cli,
                "/api/v1/platforms/k3m9p2xw7q/repo",
            ),
            (
                "/api/v1/onboarding/start",
                Service::Registry,
                "/api/v1/onboarding/start",
            ),
        ];
        for (path, service, upstream) in cases {
            assert_eq!(up(path), Some((service, upstream.to_string())), "{path}");
        }
    }

    #[test]
    fn splits_serialised_urls() {
        assert_eq!(
            split_url("http://127.0.0.1:8787/a/b?x=1&y=2"),
            ("/a/b", Some("x=1&y=2"))
        );
        assert_eq!(split_url("https://gateway.svc.nno.app/"), ("/", None));
        assert_eq!(split_url("https://h"), ("/", None));
        assert_eq!(split_url("https://h/p?q#frag"), ("/p", Some("q")));
        assert_eq!(split_url("https://h/p?"), ("/p", Some("")));
    }

    #[test]
    fn bare_prefix_and_trailing_slash() {
        assert_eq!(up("/api/v1/billing"), Some((Service::Billing, "/".into())));
        assert_eq!(up("/api/v1/billing/"), Some((Service::Billing, "/".into())));
        assert_eq!(up("/api/v1/iam"), Some((Service::Iam, "/api".into())));
        assert_eq!(
            up("/api/v1/stacks/"),
            Some((Service::StackRegistry, "/api/v1/stacks/".into()))
        );
    }

    #[test]
    fn matches_whole_segments_only() {
        assert_eq!(up("/api/v1/iamx/auth"), None);
        assert_eq!(up("/api/v1/platformsX"), None);
        assert_eq!(up("/api/v1"), None);
        assert_eq!(up("/"), None);
        assert_eq!(up("/health"), None);
        assert_eq!(up("/API/v1/iam/auth"), None);
    }

    #[test]
    fn every_upstream_is_reachable_and_has_a_base() {
        for s in Service::UPSTREAMS {
            assert!(public_prefix(s).is_some(), "{s} has no route");
            assert!(upstream_bases(s).count() >= 1);
        }
        assert!(public_prefix(Service::Gateway).is_none());
        let registry: Vec<_> = upstream_bases(Service::Registry).collect();
        assert_eq!(registry, ["/api/v1/platforms", "/api/v1/onboarding"]);
    }

    #[test]
    fn health_paths_under_every_base() {
        use HealthProbe::*;
        assert_eq!(health_probe(Service::Billing, "/health"), Some(Ready));
        assert_eq!(health_probe(Service::Billing, "/health/live"), Some(Live));
        assert_eq!(health_probe(Service::Iam, "/api/health"), Some(Ready));
        assert_eq!(
            health_probe(Service::Registry, "/api/v1/onboarding/health"),
            Some(Ready)
        );
        assert_eq!(
            health_probe(Service::Registry, "/api/v1/platforms/health/live"),
            Some(Live)
        );
        assert_eq!(
            health_probe(Service::Cli, "/api/v1/platforms/health"),
            Some(Ready)
        );
        assert_eq!(
            health_probe(Service::Provisioning, "/api/v1/provision/health"),
            Some(Ready)
        );
        assert_eq!(health_probe(Service::Iam, "/api/v1/platforms/health"), None);
        assert_eq!(health_probe(Service::Billing, "/healthz"), None);
        assert_eq!(health_probe(Service::Billing, "/health/"), None);
    }

    #[test]
    fn upstream_failures_become_envelopes_unless_already_json() {
        use crate::ErrorCode::*;
        assert_eq!(
            upstream_failure(500, Some("text/plain")),
            Some(UpstreamError)
        );
        assert_eq!(upstream_failure(502, None), Some(UpstreamError));
        assert_eq!(
            upstream_failure(503, Some("text/html")),
            Some(UpstreamUnavailable)
        );
        assert_eq!(upstream_failure(504, None), Some(UpstreamTimeout));
        assert_eq!(
            upstream_failure(503, Some("application/json; charset=utf-8")),
            None
        );
        assert_eq!(upstream_failure(404, Some("text/plain")), None);
        assert_eq!(upstream_failure(200, None), None);
    }

    #[test]
    fn no_prefix_shadows_another() {
        for a in ROUTES.iter() {
            for b in ROUTES.iter() {
                if a.prefix != b.prefix {
                    assert!(!a.prefix.starts_with(&format!("{}/", b.prefix)));
                }
            }
        }
    }
}
