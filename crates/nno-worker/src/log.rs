//! Structured logs: one JSON object per line on stdout, which Workers Logs and
//! `wrangler tail` index. Never log secrets, tokens, cookies or bodies.

use crate::context::RequestContext;
use serde_json::{json, Map, Value};

/// The line written once per request.
pub fn request_line(
    service: &str,
    env: &str,
    ctx: &RequestContext,
    status: u16,
    extra: Map<String, Value>,
) -> String {
    let mut line = json!({
        "level": if status >= 500 { "error" } else if status >= 400 { "warn" } else { "info" },
        "msg": "request",
        "service": service,
        "env": env,
        "requestId": ctx.request_id,
        "traceId": ctx.trace.trace_id,
        "spanId": ctx.trace.parent_id,
        "method": ctx.method,
        "path": ctx.path,
        "status": status,
        "durationMs": ctx.elapsed_ms(),
    });
    if let Value::Object(fields) = &mut line {
        fields.extend(extra);
    }
    line.to_string()
}

pub fn emit(line: &str) {
    worker::console_log!("{line}");
}

/// A log line outside a request (queue batches, start-up problems).
pub fn event(level: &str, service: &str, msg: &str, fields: Value) {
    let mut line = json!({ "level": level, "service": service, "msg": msg });
    if let (Value::Object(l), Value::Object(f)) = (&mut line, fields) {
        l.extend(f);
    }
    emit(&line.to_string());
}
