//! Test controls for the Stripe stand-in, under `/_sandbox/stripe/` (JSON bodies):
//!
//! - `GET state`: everything it holds (customers, products, prices, meters,
//!   subscriptions with pending prorations, invoices, clocks, events, webhook
//!   endpoints, queued and held deliveries, config).
//! - `POST reset`: back to the seeded catalog and the env endpoint (config stays).
//! - `GET config` / `POST config {deliverTimes?, clockReadyMs?}`.
//! - `GET meter_events`: the meter events accepted, in order.
//! - `POST customers/{id}/payment {"fail": true|false}`: the customer's payments fail
//!   (402 `card_declined` on `/pay`, dunning on renewals) or succeed again.
//! - `POST webhooks {url, secret?, enabledEvents?}` → the endpoint with its secret
//!   (generated `whsec_…` when absent); `GET webhooks` lists; `DELETE webhooks` clears
//!   all (the env endpoint included, until reset).
//! - `POST webhooks/hold`: events are held instead of delivered.
//!   `POST webhooks/release {order: "fifo"|"reverse"|"shuffle", times?, seed?}`: what is
//!   held goes out in that order, each `times` times in a row (default: deliverTimes);
//!   delivery is no longer held. Answers `{released: n}`.
//! - `GET deliveries`: `[{eventId, type, url, attempt, status, ok, at, error?}]`;
//!   `DELETE deliveries` clears the log.

use super::webhooks::{self, Endpoint};
use super::{clocks, invoices, lock, new_id, subscriptions, Stripe};
use crate::http::{Incoming, Reply};
use serde_json::{json, Value};
use std::sync::Mutex;
use tiny_http::Method;

pub const PREFIX: &str = "/_sandbox/stripe/";

fn not_found(req: &Incoming) -> Reply {
    Reply::Json(
        404,
        json!({ "message": format!("the sandbox has no {} {}", req.method, req.path) }),
    )
}

pub fn route(req: &Incoming, stripe: &Mutex<Stripe>) -> Reply {
    let what = req
        .path
        .strip_prefix(PREFIX)
        .unwrap_or("")
        .trim_end_matches('/');
    let body: Value = serde_json::from_slice(&req.bytes).unwrap_or(Value::Null);
    let mut st = lock(stripe);
    clocks::settle(&mut st);
    let segs: Vec<&str> = what.split('/').collect();
    match (&req.method, segs.as_slice()) {
        (Method::Get, ["state"]) => Reply::Json(200, state(&st)),
        (Method::Post, ["reset"]) => {
            st.reset();
            Reply::Json(200, json!({ "reset": true }))
        }
        (Method::Get, ["config"]) => Reply::Json(200, config(&st)),
        (Method::Post, ["config"]) => {
            if !body.is_object() {
                return Reply::Json(400, json!({ "message": "a JSON object is required" }));
            }
            if let Some(n) = body["deliverTimes"].as_u64() {
                st.cfg.deliver_times = n.clamp(1, 100) as u32;
            }
            if let Some(ms) = body["clockReadyMs"].as_u64() {
                st.cfg.clock_ready_ms = ms.min(60_000);
            }
            Reply::Json(200, config(&st))
        }
        (Method::Get, ["meter_events"]) => Reply::Json(200, json!({ "data": st.meter_events })),
        (Method::Post, ["customers", id, "payment"]) => {
            let id = id.to_string();
            if st.customer(&id).is_none() {
                return Reply::Json(404, json!({ "message": format!("no customer {id}") }));
            }
            let fail = body["fail"].as_bool().unwrap_or(false);
            if fail {
                st.failing.insert(id.clone());
            } else {
                st.failing.remove(&id);
            }
            Reply::Json(200, json!({ "customer": id, "fail": fail }))
        }
        (Method::Post, ["webhooks"]) => {
            let Some(url) = body["url"].as_str().filter(|u| !u.is_empty()) else {
                return Reply::Json(400, json!({ "message": "url is required" }));
            };
            let secret = body["secret"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map_or_else(|| new_id("whsec_"), str::to_string);
            let enabled: Vec<String> = match body["enabledEvents"].as_array() {
                Some(a) if !a.is_empty() => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => vec!["*".into()],
            };
            let e = Endpoint {
                id: new_id("we_"),
                url: url.into(),
                secret,
                enabled_events: enabled,
            };
            let out = endpoint_json(&e);
            st.endpoints.push(e);
            Reply::Json(200, out)
        }
        (Method::Get, ["webhooks"]) => Reply::Json(
            200,
            json!({ "data": st.endpoints.iter().map(endpoint_json).collect::<Vec<_>>(), "hold": st.hold }),
        ),
        (Method::Delete, ["webhooks"]) => {
            st.endpoints.clear();
            Reply::Json(200, json!({ "cleared": true }))
        }
        (Method::Post, ["webhooks", "hold"]) => {
            st.hold = body["hold"].as_bool().unwrap_or(true);
            Reply::Json(200, json!({ "hold": st.hold, "held": st.held.len() }))
        }
        (Method::Post, ["webhooks", "release"]) => {
            let order = body["order"].as_str().unwrap_or("fifo");
            if !["fifo", "reverse", "shuffle"].contains(&order) {
                return Reply::Json(
                    400,
                    json!({ "message": "order must be fifo, reverse or shuffle" }),
                );
            }
            let times = body["times"]
                .as_u64()
                .map_or(st.cfg.deliver_times, |t| t.clamp(1, 100) as u32);
            let seed = body["seed"].as_u64().unwrap_or_else(|| {
                u64::from_str_radix(&crate::state::random_hex()[..16], 16).unwrap_or(1)
            });
            let held = std::mem::take(&mut st.held);
            let n = held.len();
            let now = std::time::Instant::now();
            let arranged = webhooks::arrange(held, order, times, seed);
            st.queue.extend(arranged.into_iter().map(|mut d| {
                d.due = now;
                d
            }));
            st.hold = false;
            Reply::Json(
                200,
                json!({ "released": n, "times": times, "order": order }),
            )
        }
        (Method::Get, ["deliveries"]) => Reply::Json(
            200,
            json!({ "data": st.deliveries, "queued": st.queue.len(), "held": st.held.len() }),
        ),
        (Method::Delete, ["deliveries"]) => {
            st.deliveries.clear();
            Reply::Json(200, json!({ "cleared": true }))
        }
        _ => not_found(req),
    }
}

fn endpoint_json(e: &Endpoint) -> Value {
    json!({ "id": e.id, "url": e.url, "secret": e.secret, "enabledEvents": e.enabled_events })
}

fn config(st: &Stripe) -> Value {
    json!({
        "deliverTimes": st.cfg.deliver_times,
        "clockReadyMs": st.cfg.clock_ready_ms,
        "apiVersion": super::API_VERSION,
        "webhookUrl": st.cfg.env_endpoint.as_ref().map(|e| e.url.clone()),
        "retryDelaysMs": webhooks::RETRY_DELAYS_MS,
    })
}

fn state(st: &Stripe) -> Value {
    json!({
        "customers": st.customers,
        "failingCustomers": st.failing.iter().collect::<Vec<_>>(),
        "products": st.products,
        "prices": st.prices,
        "meters": st.meters,
        "meterEvents": st.meter_events,
        "subscriptions": st.subscriptions.iter().map(|s| {
            let mut v = subscriptions::render(st, s);
            v["sandbox_pending_prorations"] = json!(s.pending.iter().map(|l| json!({
                "amount": l.amount, "description": l.description, "price": l.price,
                "period": {"start": l.start, "end": l.end},
            })).collect::<Vec<_>>());
            v
        }).collect::<Vec<_>>(),
        "invoices": st.invoices.iter().map(|i| invoices::render(st, i)).collect::<Vec<_>>(),
        "testClocks": st.clocks.iter().map(clocks::Clock::render).collect::<Vec<_>>(),
        "events": st.events,
        "webhooks": st.endpoints.iter().map(endpoint_json).collect::<Vec<_>>(),
        "hold": st.hold,
        "queued": st.queue.len(),
        "held": st.held.iter().map(|d| json!({"eventId": d.event_id, "type": d.event_type})).collect::<Vec<_>>(),
        "idempotencyKeys": st.idempotency.len(),
        "config": config(st),
    })
}
