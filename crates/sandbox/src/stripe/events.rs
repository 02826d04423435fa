//! Events: `{id, object: "event", api_version, created, data: {object,
//! previous_attributes?}, livemode, pending_webhooks, request: {id, idempotency_key},
//! type}`, `data.object` a snapshot when it happened. Each is queued for every webhook
//! endpoint that wants it (`deliverTimes` copies), or held while delivery is held.
//! `GET /v1/events` (`type`, `types[]`, `created`), `GET /v1/events/{id}`.

use super::errors::{ApiError, Res};
use super::webhooks::Delivery;
use super::{allow, list, new_id, Call, Stripe, API_VERSION};
use serde_json::{json, Map, Value};
use std::time::Instant;

/// The top-level fields of `old` that differ in `new`, with their old values.
pub fn previous_attributes(old: &Value, new: &Value) -> Option<Value> {
    let (o, n) = (old.as_object()?, new.as_object()?);
    let changed: Map<String, Value> = o
        .iter()
        .filter(|(k, v)| n.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!changed.is_empty()).then_some(Value::Object(changed))
}

pub fn emit(st: &mut Stripe, kind: &str, object: Value, previous: Option<Value>, created: i64) {
    let (request_id, idem) = st.request.clone().unwrap_or((String::new(), None));
    let mut data = Map::new();
    data.insert("object".into(), object);
    if let Some(p) = previous {
        data.insert("previous_attributes".into(), p);
    }
    let id = new_id("evt_");
    let endpoints: Vec<_> = st
        .endpoints
        .iter()
        .filter(|e| e.wants(kind))
        .cloned()
        .collect();
    let event = json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": false,
        "pending_webhooks": endpoints.len(),
        "request": {
            "id": if request_id.is_empty() { Value::Null } else { json!(request_id) },
            "idempotency_key": idem,
        },
        "type": kind,
    });
    let body = event.to_string();
    st.events.push(event);
    for e in endpoints {
        let d = Delivery {
            event_id: id.clone(),
            event_type: kind.to_string(),
            url: e.url.clone(),
            secret: e.secret.clone(),
            body: body.clone(),
            attempt: 1,
            due: Instant::now(),
        };
        if st.hold {
            st.held.push(d);
        } else {
            for _ in 0..st.cfg.deliver_times.max(1) {
                st.queue.push(d.clone());
            }
        }
    }
}

/// One endpoint is done with the event (delivered, or out of retries).
pub fn delivered(st: &mut Stripe, event_id: &str) {
    if let Some(e) = st.events.iter_mut().find(|e| e["id"] == event_id) {
        let n = e["pending_webhooks"].as_u64().unwrap_or(0);
        e["pending_webhooks"] = json!(n.saturating_sub(1));
    }
}

pub fn list(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "type",
            "types",
            "created",
            "limit",
            "starting_after",
            "ending_before",
            "delivery_success",
        ],
    )?;
    let types: Vec<String> = match p.get("types") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let one = p.get("type").and_then(Value::as_str).unwrap_or("");
    let matches = |t: &str| -> bool {
        let ok_one = one.is_empty()
            || t == one
            || (one.ends_with('*') && t.starts_with(one.trim_end_matches('*')));
        ok_one && (types.is_empty() || types.iter().any(|x| x == t))
    };
    let mut items = Vec::new();
    for e in st.events.iter().rev() {
        if matches(e["type"].as_str().unwrap_or(""))
            && super::created_matches(p, e["created"].as_i64().unwrap_or(0))?
        {
            items.push(e.clone());
        }
    }
    list::respond(&items, p, "event", "/v1/events")
}

pub fn retrieve(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &[])?;
    let id = c.seg(1);
    st.events
        .iter()
        .find(|e| e["id"] == id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("event", id, "id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_attributes_are_old_values_of_changed_fields() {
        let old = json!({"id": "s", "status": "active", "metadata": {"a": "1"}, "same": 1});
        let new = json!({"id": "s", "status": "past_due", "metadata": {"a": "2"}, "same": 1});
        assert_eq!(
            previous_attributes(&old, &new),
            Some(json!({"status": "active", "metadata": {"a": "1"}}))
        );
        assert_eq!(previous_attributes(&old, &old), None);
    }

    #[test]
    fn events_queue_per_endpoint_or_are_held() {
        let mut st = Stripe::from_env();
        st.endpoints = vec![super::super::webhooks::Endpoint {
            id: "we_1".into(),
            url: "http://127.0.0.1:9/".into(),
            secret: "whsec_x".into(),
            enabled_events: vec!["*".into()],
        }];
        st.cfg.deliver_times = 2;
        emit(&mut st, "customer.created", json!({"id": "cus_1"}), None, 5);
        assert_eq!(st.queue.len(), 2);
        assert_eq!(st.events[0]["pending_webhooks"], 1);
        assert_eq!(st.events[0]["request"]["id"], Value::Null);
        st.hold = true;
        emit(
            &mut st,
            "customer.updated",
            json!({}),
            Some(json!({"email": null})),
            6,
        );
        assert_eq!((st.queue.len(), st.held.len()), (2, 1));
        assert_eq!(
            st.events[1]["data"]["previous_attributes"]["email"],
            Value::Null
        );
        let first = st.events[0]["id"].as_str().unwrap_or("").to_string();
        delivered(&mut st, &first);
        assert_eq!(st.events[0]["pending_webhooks"], 0);
    }
}
