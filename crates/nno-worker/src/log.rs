//! Structured logs: one JSON object per line on stdout, which Workers Logs and
//! `wrangler tail` index. Never log secrets, tokens, cookies or bodies.

use crate::context::RequestContext;
use nno_core::log::RequestLog;
use serde_json::{json, Value};

/// Writes the line every request ends with.
/// `cause` is an error's underlying reason (`ApiError::cause`), for operators only.
pub fn request(
    ctx: &RequestContext,
    env: &str,
    status: u16,
    upstream: Option<&str>,
    cause: Option<&str>,
) {
    let line = RequestLog {
        service: ctx.service.name(),
        env,
        request_id: &ctx.request_id,
        trace_id: &ctx.trace.trace_id,
        span_id: &ctx.trace.parent_id,
        method: &ctx.method,
        path: &ctx.path,
        status,
        duration_ms: ctx.elapsed_ms(),
        upstream,
        cause,
    };
    let text = line.to_json();
    match line.level() {
        "error" => worker::console_error!("{text}"),
        "warn" => worker::console_warn!("{text}"),
        _ => console::info(&text),
    }
}

/// Writes a line at `console.log` level.
pub fn emit(line: &str) {
    worker::console_log!("{line}");
}

mod console {
    use wasm_bindgen::prelude::wasm_bindgen;

    // `console.info` rather than `console.log`: the level travels with the line into
    // Workers Logs, and the local runtime prints info lines without trying to
    // source-map them, which is most of what a log line costs under `wrangler dev`.
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = console)]
        pub fn info(line: &str);
    }
}

/// A log line outside a request (queue batches, start-up problems).
pub fn event(level: &str, service: &str, msg: &str, fields: Value) {
    let mut line = json!({ "level": level, "service": service, "msg": msg });
    if let (Value::Object(l), Value::Object(f)) = (&mut line, fields) {
        l.extend(f);
    }
    emit(&line.to_string());
}
