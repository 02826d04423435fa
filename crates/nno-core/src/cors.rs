//! CORS decisions for the gateway. Origins are matched exactly (scheme, host and port)
//! against the environment's `CORS_ORIGINS` list; a disallowed origin gets no CORS
//! headers at all, and its preflight is refused.

pub const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
pub const ALLOWED_HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "x-request-id",
    "traceparent",
    "tracestate",
    "x-nno-tenant-id",
];
pub const EXPOSED_HEADERS: &str = "x-request-id, retry-after, ratelimit, ratelimit-policy";
pub const MAX_AGE_SECONDS: &str = "600";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsPolicy {
    origins: Vec<String>,
}

/// What to do with a request, as far as CORS is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsDecision {
    /// No `Origin` header: not a CORS request.
    NotCors,
    /// A simple or actual request from an allowed origin: add these headers.
    Allowed(Vec<(&'static str, String)>),
    /// A preflight from an allowed origin: answer 204 with these headers, now.
    Preflight(Vec<(&'static str, String)>),
    /// A preflight that must be refused (origin, method or header not allowed).
    PreflightDenied(&'static str),
    /// A non-preflight request from an origin not on the list: serve it without CORS
    /// headers (the browser withholds the response from the page).
    Disallowed,
}

impl CorsPolicy {
    /// Parses a comma-separated origin list. Each entry is written in the form browsers
    /// send (a serialized origin: scheme and host lower-case, no path, so no trailing
    /// `/`); blanks are ignored, and so is `null`, which sandboxed documents and
    /// `file:` pages send and which must never be trusted with credentials.
    pub fn parse(list: &str) -> CorsPolicy {
        let origins = list
            .split(',')
            .map(|o| o.trim())
            .map(|o| o.strip_suffix('/').unwrap_or(o).to_ascii_lowercase())
            .filter(|o| !o.is_empty() && o != "null")
            .collect();
        CorsPolicy { origins }
    }

    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// Whether `origin` (the request's `Origin` header, as sent) is on the list. Byte
    /// for byte: browsers serialize an origin one way only (RFC 6454: lower-case scheme
    /// and host, no default port, no path), so a header with a trailing slash, upper
    /// case or spaces did not come from a browser page of that origin and is refused.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    /// `method` is the request method; `request_method` and `request_headers` are the
    /// `Access-Control-Request-*` headers, present on a preflight.
    pub fn decide(
        &self,
        origin: Option<&str>,
        method: &str,
        request_method: Option<&str>,
        request_headers: Option<&str>,
    ) -> CorsDecision {
        let Some(origin) = origin else {
            return CorsDecision::NotCors;
        };
        let preflight = method.eq_ignore_ascii_case("OPTIONS") && request_method.is_some();
        if !self.allows(origin) {
            return if preflight {
                CorsDecision::PreflightDenied("origin is not allowed")
            } else {
                CorsDecision::Disallowed
            };
        }
        let mut headers = vec![
            ("access-control-allow-origin", origin.to_string()),
            ("access-control-allow-credentials", "true".to_string()),
            ("vary", "Origin".to_string()),
        ];
        if !preflight {
            headers.push(("access-control-expose-headers", EXPOSED_HEADERS.to_string()));
            return CorsDecision::Allowed(headers);
        }
        let requested = request_method
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        if !ALLOWED_METHODS.split(", ").any(|m| m == requested) {
            return CorsDecision::PreflightDenied("method is not allowed");
        }
        for h in request_headers.unwrap_or_default().split(',') {
            let h = h.trim();
            if !h.is_empty() && !ALLOWED_HEADERS.iter().any(|a| a.eq_ignore_ascii_case(h)) {
                return CorsDecision::PreflightDenied("request header is not allowed");
            }
        }
        headers.push(("access-control-allow-methods", ALLOWED_METHODS.to_string()));
        headers.push(("access-control-allow-headers", ALLOWED_HEADERS.join(", ")));
        headers.push(("access-control-max-age", MAX_AGE_SECONDS.to_string()));
        CorsDecision::Preflight(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CorsPolicy {
        CorsPolicy::parse(
            "https://console.app.stg.nno.app, https://develop.nno-k3m9p2xw7q-console.pages.dev/,,",
        )
    }

    fn header<'a>(h: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        h.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn parses_lists_with_blanks_and_slashes() {
        assert_eq!(policy().origins().len(), 2);
        assert!(policy().allows("https://develop.nno-k3m9p2xw7q-console.pages.dev"));
        assert!(CorsPolicy::parse("").origins().is_empty());
    }

    #[test]
    fn origins_are_compared_exactly_as_browsers_send_them() {
        let p = CorsPolicy::parse("https://app.nno.app, HTTPS://Console.NNO.app/, null");
        assert!(p.allows("https://app.nno.app"));
        // Configured entries are written as browsers serialize origins.
        assert!(p.allows("https://console.nno.app"));
        assert_eq!(
            p.origins(),
            ["https://app.nno.app", "https://console.nno.app"]
        );
        for o in [
            "https://app.nno.app/",
            "HTTPS://APP.NNO.APP",
            "https://App.nno.app",
            " https://app.nno.app",
            "https://app.nno.app ",
            "https://app.nno.app:443",
            "https://app.nno.app.",
            "https://app.nno.app/path",
            "null",
        ] {
            assert!(!p.allows(o), "{o:?}");
            assert_eq!(
                p.decide(Some(o), "GET", None, None),
                CorsDecision::Disallowed
            );
            assert!(matches!(
                p.decide(Some(o), "OPTIONS", Some("GET"), None),
                CorsDecision::PreflightDenied(_)
            ));
        }
    }

    #[test]
    fn no_origin_is_not_cors() {
        assert_eq!(
            policy().decide(None, "GET", None, None),
            CorsDecision::NotCors
        );
    }

    #[test]
    fn allowed_origin_gets_its_own_origin_back() {
        match policy().decide(Some("https://console.app.stg.nno.app"), "GET", None, None) {
            CorsDecision::Allowed(h) => {
                assert_eq!(
                    header(&h, "access-control-allow-origin"),
                    Some("https://console.app.stg.nno.app")
                );
                assert_eq!(header(&h, "vary"), Some("Origin"));
                assert!(header(&h, "access-control-expose-headers")
                    .unwrap()
                    .contains("x-request-id"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lookalike_origins_are_disallowed() {
        for o in [
            "https://console.app.stg.nno.app.evil.com",
            "http://console.app.stg.nno.app",
            "https://console.app.stg.nno.app:8443",
            "null",
        ] {
            assert_eq!(
                policy().decide(Some(o), "GET", None, None),
                CorsDecision::Disallowed
            );
        }
    }

    #[test]
    fn preflight_allowed_lists_methods_and_headers() {
        let d = policy().decide(
            Some("https://console.app.stg.nno.app"),
            "OPTIONS",
            Some("PATCH"),
            Some("Content-Type, Authorization"),
        );
        match d {
            CorsDecision::Preflight(h) => {
                assert!(header(&h, "access-control-allow-methods")
                    .unwrap()
                    .contains("PATCH"));
                assert!(header(&h, "access-control-allow-headers")
                    .unwrap()
                    .contains("authorization"));
                assert_eq!(header(&h, "access-control-max-age"), Some("600"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn preflight_denials() {
        let p = policy();
        let o = Some("https://console.app.stg.nno.app");
        assert!(matches!(
            p.decide(Some("https://evil.example"), "OPTIONS", Some("GET"), None),
            CorsDecision::PreflightDenied(_)
        ));
        assert!(matches!(
            p.decide(o, "OPTIONS", Some("TRACE"), None),
            CorsDecision::PreflightDenied(_)
        ));
        assert!(matches!(
            p.decide(o, "OPTIONS", Some("GET"), Some("x-evil")),
            CorsDecision::PreflightDenied(_)
        ));
    }

    #[test]
    fn options_without_request_method_is_not_a_preflight() {
        assert!(matches!(
            policy().decide(
                Some("https://console.app.stg.nno.app"),
                "OPTIONS",
                None,
                None
            ),
            CorsDecision::Allowed(_)
        ));
    }
}
