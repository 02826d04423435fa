//! Stripe's error body `{error: {type, code?, message, param?, decline_code?}}` and the
//! statuses that go with it (stripe-node picks its error class from both).

use serde_json::{json, Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub code: Option<String>,
    pub message: String,
    pub param: Option<String>,
    pub decline_code: Option<String>,
}

pub type Res<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, kind: &'static str, code: Option<&str>, message: String) -> ApiError {
        ApiError {
            status,
            kind,
            code: code.map(str::to_string),
            message,
            param: None,
            decline_code: None,
        }
    }

    pub fn with_param(mut self, param: &str) -> ApiError {
        self.param = Some(param.to_string());
        self
    }

    pub fn with_status(mut self, status: u16) -> ApiError {
        self.status = status;
        self
    }

    pub fn invalid(code: Option<&str>, message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid_request_error", code, message.into())
    }

    pub fn missing(param: &str) -> ApiError {
        ApiError::invalid(
            Some("parameter_missing"),
            format!("Missing required param: {param}."),
        )
        .with_param(param)
    }

    pub fn unknown(param: &str) -> ApiError {
        ApiError::invalid(
            Some("parameter_unknown"),
            format!(
                "Received unknown parameter: {param}. Did you mean to pass it as a nested field?"
            ),
        )
        .with_param(param)
    }

    pub fn bad_value(param: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::invalid(Some(code), message).with_param(param)
    }

    /// 404 for an object named in the path or a parameter.
    pub fn no_such(what: &str, id: &str, param: &str) -> ApiError {
        ApiError::new(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            format!("No such {what}: '{id}'"),
        )
        .with_param(param)
    }

    pub fn unrecognized_url(method: &str, path: &str) -> ApiError {
        ApiError::new(
            404,
            "invalid_request_error",
            None,
            format!(
                "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
            ),
        )
    }

    pub fn no_key() -> ApiError {
        ApiError::new(
            401,
            "invalid_request_error",
            None,
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
                .into(),
        )
    }

    pub fn bad_key(key: &str) -> ApiError {
        let shown: String = if key.len() > 12 {
            format!("{}{}", &key[..key.len().min(8)], "*".repeat(4))
        } else {
            "*".repeat(key.len().min(8))
        };
        ApiError::new(
            401,
            "invalid_request_error",
            None,
            format!("Invalid API Key provided: {shown}"),
        )
    }

    pub fn idempotency(key: &str) -> ApiError {
        ApiError::new(
            400,
            "idempotency_error",
            None,
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
            ),
        )
    }

    pub fn card_declined() -> ApiError {
        let mut e = ApiError::new(
            402,
            "card_error",
            Some("card_declined"),
            "Your card was declined.".into(),
        );
        e.decline_code = Some("generic_decline".into());
        e
    }

    /// An injected fault (`/_sandbox/faults`) in Stripe's shape.
    pub fn injected(status: u16) -> ApiError {
        match status {
            429 => ApiError::new(
                429,
                "invalid_request_error",
                Some("rate_limit"),
                "Too many requests hit the API too quickly. (sandbox: injected 429)".into(),
            ),
            s => ApiError::new(
                s,
                "api_error",
                None,
                format!("An unknown error occurred (sandbox: injected {s})"),
            ),
        }
    }

    pub fn body(&self, request_id: &str) -> Value {
        let mut e = Map::new();
        e.insert("type".into(), json!(self.kind));
        if let Some(c) = &self.code {
            e.insert("code".into(), json!(c));
            e.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    c.replace('_', "-")
                )),
            );
        }
        e.insert("message".into(), json!(self.message));
        if let Some(p) = &self.param {
            e.insert("param".into(), json!(p));
        }
        if let Some(d) = &self.decline_code {
            e.insert("decline_code".into(), json!(d));
        }
        e.insert(
            "request_log_url".into(),
            json!(format!(
                "https://dashboard.stripe.com/test/logs/{request_id}"
            )),
        );
        json!({ "error": e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_type_code_param() {
        let b = ApiError::missing("customer").body("req_1");
        assert_eq!(b["error"]["type"], "invalid_request_error");
        assert_eq!(b["error"]["code"], "parameter_missing");
        assert_eq!(b["error"]["param"], "customer");
        let n = ApiError::no_such("customer", "cus_x", "id");
        assert_eq!(n.status, 404);
        assert_eq!(n.body("r")["error"]["message"], "No such customer: 'cus_x'");
        let c = ApiError::card_declined().body("r");
        assert_eq!(c["error"]["decline_code"], "generic_decline");
        assert_eq!(ApiError::idempotency("k").kind, "idempotency_error");
        assert!(ApiError::bad_key("sk_test_wrong_key_1")
            .message
            .contains("sk_test_****"));
        assert_eq!(ApiError::injected(500).kind, "api_error");
        assert_eq!(ApiError::injected(429).code.as_deref(), Some("rate_limit"));
        assert!(ApiError::no_key().body("r")["error"].get("param").is_none());
    }
}
