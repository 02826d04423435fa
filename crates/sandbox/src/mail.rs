//! Resend's `POST /emails`, captured instead of delivered.

use crate::http::{lock, Incoming, Reply};
use crate::state::{random_hex, Sandbox};
use serde_json::{json, Value};
use std::sync::Mutex;

fn resend_error(status: u16, name: &str, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({ "statusCode": status, "name": name, "message": message }),
    )
}

pub fn send(req: &Incoming, sandbox: &Mutex<Sandbox>) -> Reply {
    let expected = lock(sandbox).resend_key.clone();
    let given = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "));
    match given {
        None => {
            return resend_error(
                401,
                "missing_api_key",
                "Missing API key in the authorization header",
            )
        }
        Some(k) if k != expected => {
            return resend_error(403, "invalid_api_key", "API key is invalid")
        }
        _ => {}
    }
    let Ok(body) = serde_json::from_str::<Value>(&req.body) else {
        return resend_error(
            422,
            "validation_error",
            "The request body is not valid JSON.",
        );
    };
    let to: Vec<String> = match &body["to"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if body["from"].as_str().is_none_or(str::is_empty) {
        return resend_error(422, "validation_error", "Missing `from` field.");
    }
    if to.is_empty() || to.len() > 50 || to.iter().any(|t| !t.contains('@')) {
        return resend_error(422, "validation_error", "Invalid `to` field.");
    }
    if body["subject"].as_str().is_none_or(str::is_empty) {
        return resend_error(422, "validation_error", "Missing `subject` field.");
    }
    if body["html"].as_str().is_none() && body["text"].as_str().is_none() {
        return resend_error(422, "validation_error", "Missing `html` or `text` field.");
    }
    let id = random_hex();
    let mut s = lock(sandbox);
    s.emails.push(json!({
        "id": id, "from": body["from"], "to": to, "subject": body["subject"],
        "text": body["text"], "html": body["html"],
    }));
    // Bounded: a long local session must not grow without limit.
    if s.emails.len() > 10_000 {
        s.emails.remove(0);
    }
    Reply::Json(200, json!({ "id": id }))
}

pub fn list(req: &Incoming, sandbox: &Mutex<Sandbox>) -> Reply {
    let to = req.query.get("to").map(|t| t.to_ascii_lowercase());
    let s = lock(sandbox);
    let emails: Vec<&Value> = s
        .emails
        .iter()
        .filter(|e| match &to {
            Some(t) => e["to"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x.as_str().map(str::to_ascii_lowercase).as_deref() == Some(t))
            }),
            None => true,
        })
        .collect();
    Reply::Json(200, json!({ "data": emails }))
}
