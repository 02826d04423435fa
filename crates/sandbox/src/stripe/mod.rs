//! A stand-in for the Stripe API subset NNO's billing uses, with state, served at
//! `/v1/…` at the sandbox root (the official `stripe` npm client takes only host,
//! port and protocol). Wire formats follow `shared/reference/stripe-api.md` and are
//! checked with Stripe's own npm client in `crates/sandbox/fidelity`.
//!
//! - Auth: `Authorization: Bearer <key>` (or Basic with the key as user name), the key
//!   `SANDBOX_STRIPE_SECRET_KEY` (default `sk_test_local_sandbox`); else 401.
//! - Bodies: form-urlencoded with brackets (`form.rs`); GET and DELETE parameters in
//!   the query (DELETE also in the body). Unknown top-level parameters are refused
//!   (`parameter_unknown`), as Stripe's `additionalProperties: false` does.
//! - Every answer has `Request-Id: req_…`; errors are `{error: {type, code, message,
//!   param}}` (`errors.rs`); `Idempotency-Key` on POSTs replays (`idempotency.rs`).
//! - Resources: customers (`customers.rs`), products, prices, billing meters and meter
//!   events (`catalog.rs`), subscriptions (`subscriptions.rs`), invoices and the
//!   preview (`invoices.rs`), test clocks (`clocks.rs`), events (`events.rs`), webhook
//!   delivery (`webhooks.rs`); lists in `list.rs`, money and calendar in
//!   `proration.rs`. Test controls under `/_sandbox/stripe/` (`inspect.rs`).
//!
//! Time: customers without a test clock live on the real clock (a background tick
//! runs what falls due); customers on a test clock live on its `frozen_time`.

mod catalog;
mod clocks;
mod customers;
mod errors;
mod events;
mod form;
mod idempotency;
pub mod inspect;
mod invoices;
mod list;
mod proration;
mod subscriptions;
mod webhooks;

pub use inspect::route as inspect_route;

use crate::http::{Incoming, Reply};
use errors::{ApiError, Res};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub const BASE: &str = "/v1/";
pub const API_VERSION: &str = "2026-10-28.endive";
pub const KEY_ENV: &str = "SANDBOX_STRIPE_SECRET_KEY";
pub const DEFAULT_KEY: &str = "sk_test_local_sandbox";
pub const WEBHOOK_URL_ENV: &str = "SANDBOX_STRIPE_WEBHOOK_URL";
pub const WEBHOOK_SECRET_ENV: &str = "SANDBOX_STRIPE_WEBHOOK_SECRET";
pub const DEFAULT_WEBHOOK_SECRET: &str = "whsec_local_sandbox";

pub struct Config {
    pub secret_key: String,
    /// Each event is delivered this many times (to test duplicate handling).
    pub deliver_times: u32,
    /// How long an advanced test clock stays `advancing` after its work is done.
    pub clock_ready_ms: u64,
    pub env_endpoint: Option<webhooks::Endpoint>,
}

pub struct Stripe {
    pub cfg: Config,
    pub customers: Vec<Value>,
    pub deleted_customers: HashSet<String>,
    /// Customers whose payments fail.
    pub failing: HashSet<String>,
    pub products: Vec<Value>,
    pub prices: Vec<Value>,
    pub meters: Vec<Value>,
    pub meter_events: Vec<Value>,
    /// Meter event identifier -> when it was accepted (unix s, real clock).
    pub identifiers: HashMap<String, i64>,
    pub subscriptions: Vec<subscriptions::Subscription>,
    pub invoices: Vec<invoices::Invoice>,
    pub clocks: Vec<clocks::Clock>,
    pub events: Vec<Value>,
    pub idempotency: idempotency::Store,
    pub endpoints: Vec<webhooks::Endpoint>,
    pub queue: Vec<webhooks::Delivery>,
    pub held: Vec<webhooks::Delivery>,
    pub hold: bool,
    pub deliveries: Vec<Value>,
    /// The request being served: its id and idempotency key, for events.
    pub request: Option<(String, Option<String>)>,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `prefix` + 24 random characters (Stripe's ids are of this shape).
pub fn new_id(prefix: &str) -> String {
    let hex = crate::state::random_hex();
    const ALPHA: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let extra = crate::state::random_hex();
    let s: String = hex
        .bytes()
        .chain(extra.bytes())
        .collect::<Vec<_>>()
        .chunks(2)
        .take(14)
        .map(|c| {
            let v = u8::from_str_radix(std::str::from_utf8(c).unwrap_or("00"), 16).unwrap_or(0);
            ALPHA[v as usize % ALPHA.len()] as char
        })
        .collect();
    format!("{prefix}{s}")
}

impl Stripe {
    pub fn from_env() -> Stripe {
        let env_endpoint = std::env::var(WEBHOOK_URL_ENV)
            .ok()
            .filter(|u| !u.is_empty())
            .map(|url| webhooks::Endpoint {
                id: "we_sandbox_env".into(),
                url,
                secret: env_or(WEBHOOK_SECRET_ENV, DEFAULT_WEBHOOK_SECRET),
                enabled_events: vec!["*".into()],
            });
        let mut s = Stripe {
            cfg: Config {
                secret_key: env_or(KEY_ENV, DEFAULT_KEY),
                deliver_times: 1,
                clock_ready_ms: 200,
                env_endpoint,
            },
            customers: Vec::new(),
            deleted_customers: HashSet::new(),
            failing: HashSet::new(),
            products: Vec::new(),
            prices: Vec::new(),
            meters: Vec::new(),
            meter_events: Vec::new(),
            identifiers: HashMap::new(),
            subscriptions: Vec::new(),
            invoices: Vec::new(),
            clocks: Vec::new(),
            events: Vec::new(),
            idempotency: idempotency::Store::default(),
            endpoints: Vec::new(),
            queue: Vec::new(),
            held: Vec::new(),
            hold: false,
            deliveries: Vec::new(),
            request: None,
        };
        s.reset();
        s
    }

    /// Back to the start: the seeded catalog, the env endpoint, no other state (the
    /// key, `deliverTimes` and the clock delay stay).
    pub fn reset(&mut self) {
        self.customers.clear();
        self.deleted_customers.clear();
        self.failing.clear();
        self.meter_events.clear();
        self.identifiers.clear();
        self.subscriptions.clear();
        self.invoices.clear();
        self.clocks.clear();
        self.events.clear();
        self.idempotency.clear();
        self.queue.clear();
        self.held.clear();
        self.hold = false;
        self.deliveries.clear();
        self.endpoints = self.cfg.env_endpoint.iter().cloned().collect();
        let (products, prices, meters) = catalog::seed(now());
        self.products = products;
        self.prices = prices;
        self.meters = meters;
    }

    pub fn customer(&self, id: &str) -> Option<&Value> {
        self.customers.iter().find(|c| c["id"] == id)
    }

    /// The test clock a customer lives on.
    pub fn clock_of(&self, customer: &str) -> Option<String> {
        self.customer(customer)
            .and_then(|c| c["test_clock"].as_str())
            .map(str::to_string)
    }

    /// The time on a clock (`None`: the real clock).
    pub fn time_on(&self, clock: Option<&str>) -> i64 {
        clock
            .and_then(|id| self.clocks.iter().find(|c| c.id == id))
            .map_or_else(now, |c| c.frozen_time)
    }

    pub fn customer_now(&self, customer: &str) -> i64 {
        self.time_on(self.clock_of(customer).as_deref())
    }

    pub fn price(&self, id: &str) -> Option<&Value> {
        self.prices.iter().find(|p| p["id"] == id)
    }

    pub fn product_name(&self, price: &str) -> String {
        let product = self
            .price(price)
            .and_then(|p| p["product"].as_str())
            .unwrap_or("");
        self.products
            .iter()
            .find(|p| p["id"] == product)
            .and_then(|p| p["name"].as_str())
            .unwrap_or(price)
            .to_string()
    }

    pub fn unit_amount(&self, price: &str) -> i64 {
        self.price(price)
            .and_then(|p| p["unit_amount"].as_i64())
            .unwrap_or(0)
    }
}

pub fn lock(s: &Mutex<Stripe>) -> MutexGuard<'_, Stripe> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// One API call as the handlers see it.
pub struct Call {
    pub method: String,
    /// Path segments after `/v1/`, percent-decoded.
    pub segs: Vec<String>,
    pub params: Value,
    pub path: String,
}

impl Call {
    pub fn seg(&self, i: usize) -> &str {
        self.segs.get(i).map_or("", String::as_str)
    }
}

// ---- parameter helpers ----

/// Refuses top-level parameters outside `allowed` (`expand` is always allowed).
pub fn allow(params: &Value, allowed: &[&str]) -> Res<()> {
    if let Some(o) = params.as_object() {
        for k in o.keys() {
            if k != "expand" && !allowed.contains(&k.as_str()) {
                return Err(ApiError::unknown(k));
            }
        }
    }
    Ok(())
}

/// Refuses keys of the object at `params[name]` outside `allowed`.
pub fn allow_nested(params: &Value, name: &str, allowed: &[&str]) -> Res<()> {
    if let Some(o) = params.get(name).and_then(Value::as_object) {
        for k in o.keys() {
            if !allowed.contains(&k.as_str()) {
                return Err(ApiError::unknown(&format!("{name}[{k}]")));
            }
        }
    }
    Ok(())
}

pub fn text<'a>(params: &'a Value, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

pub fn required(params: &Value, key: &str) -> Res<String> {
    match params.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(ApiError::bad_value(
            key,
            "parameter_invalid_empty",
            format!("You passed an empty string for '{key}'. We assume empty values are an attempt to unset a parameter; however '{key}' cannot be unset. You should remove '{key}' from your request or supply a non-empty value."),
        )),
        Some(_) => Err(ApiError::bad_value(
            key,
            "parameter_invalid_string",
            format!("Invalid string: {key} must be a string"),
        )),
        None => Err(ApiError::missing(key)),
    }
}

pub fn int_at(v: Option<&Value>, param: &str) -> Res<Option<i64>> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s.parse::<i64>().map(Some).map_err(|_| {
            ApiError::bad_value(
                param,
                "parameter_invalid_integer",
                format!("Invalid integer: {s}"),
            )
        }),
        Some(_) => Err(ApiError::bad_value(
            param,
            "parameter_invalid_integer",
            "Invalid integer: an object or array",
        )),
    }
}

pub fn int(params: &Value, key: &str) -> Res<Option<i64>> {
    int_at(params.get(key), key)
}

pub fn boolean_at(v: Option<&Value>, param: &str) -> Res<Option<bool>> {
    match v.and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(s) => Err(ApiError::bad_value(
            param,
            "parameter_invalid_boolean",
            format!("Invalid boolean: {s}"),
        )),
    }
}

pub fn boolean(params: &Value, key: &str) -> Res<Option<bool>> {
    boolean_at(params.get(key), key)
}

pub fn one_of(params: &Value, key: &str, values: &[&str]) -> Res<Option<String>> {
    match text(params, key) {
        None | Some("") => Ok(None),
        Some(s) if values.contains(&s) => Ok(Some(s.to_string())),
        Some(s) => Err(ApiError::invalid(
            None,
            format!(
                "Invalid {key}: must be one of {} (got {s})",
                values.join(", ")
            ),
        )
        .with_param(key)),
    }
}

/// Applies `metadata[k]=v` (empty value deletes `k`; `metadata=` clears all).
pub fn apply_metadata(current: &mut Value, params: &Value) -> Res<()> {
    match params.get("metadata") {
        None => Ok(()),
        Some(Value::String(s)) if s.is_empty() => {
            *current = json!({});
            Ok(())
        }
        Some(Value::Object(o)) => {
            if !current.is_object() {
                *current = json!({});
            }
            if let Some(cur) = current.as_object_mut() {
                for (k, v) in o {
                    match v.as_str() {
                        Some("") => {
                            cur.remove(k);
                        }
                        Some(s) => {
                            cur.insert(k.clone(), json!(s));
                        }
                        None => {
                            return Err(ApiError::bad_value(
                                &format!("metadata[{k}]"),
                                "parameter_invalid_string",
                                "Metadata values must be strings",
                            ))
                        }
                    }
                }
            }
            Ok(())
        }
        Some(_) => Err(ApiError::bad_value(
            "metadata",
            "parameter_invalid_string",
            "Invalid metadata: must be an object",
        )),
    }
}

/// The `expand[]` paths asked for.
pub fn expands(params: &Value) -> Vec<String> {
    match params.get("expand") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `created` filter of list calls: `created=ts` or `created[gt|gte|lt|lte]=ts`.
pub fn created_matches(params: &Value, created: i64) -> Res<bool> {
    match params.get("created") {
        None => Ok(true),
        Some(Value::Object(o)) => {
            for (op, v) in o {
                let Some(t) = int_at(Some(v), &format!("created[{op}]"))? else {
                    continue;
                };
                let ok = match op.as_str() {
                    "gt" => created > t,
                    "gte" => created >= t,
                    "lt" => created < t,
                    "lte" => created <= t,
                    _ => return Err(ApiError::unknown(&format!("created[{op}]"))),
                };
                if !ok {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        v => Ok(int_at(v, "created")?.is_none_or(|t| t == created)),
    }
}

// ---- dispatch ----

fn route(st: &mut Stripe, c: &Call) -> Res<Value> {
    let segs: Vec<&str> = c.segs.iter().map(String::as_str).collect();
    match (c.method.as_str(), segs.as_slice()) {
        ("POST", ["customers"]) => customers::create(st, c),
        ("GET", ["customers"]) => customers::list(st, c),
        ("GET", ["customers", _]) => customers::retrieve(st, c),
        ("POST", ["customers", _]) => customers::update(st, c),
        ("DELETE", ["customers", _]) => customers::delete(st, c),
        ("POST", ["products"]) => catalog::create_product(st, c),
        ("GET", ["products"]) => catalog::list_products(st, c),
        ("GET", ["products", _]) => catalog::retrieve_product(st, c),
        ("POST", ["prices"]) => catalog::create_price(st, c),
        ("GET", ["prices"]) => catalog::list_prices(st, c),
        ("GET", ["prices", _]) => catalog::retrieve_price(st, c),
        ("GET", ["billing", "meters"]) => catalog::list_meters(st, c),
        ("POST", ["billing", "meters"]) => catalog::create_meter(st, c),
        ("GET", ["billing", "meters", _]) => catalog::retrieve_meter(st, c),
        ("POST", ["billing", "meter_events"]) => catalog::create_meter_event(st, c),
        ("POST", ["subscriptions"]) => subscriptions::create(st, c),
        ("GET", ["subscriptions"]) => subscriptions::list(st, c),
        ("GET", ["subscriptions", _]) => subscriptions::retrieve(st, c),
        ("POST", ["subscriptions", _]) => subscriptions::update(st, c),
        ("DELETE", ["subscriptions", _]) => subscriptions::cancel(st, c),
        ("GET", ["invoices"]) => invoices::list(st, c),
        ("POST", ["invoices", "create_preview"]) => invoices::create_preview(st, c),
        ("GET", ["invoices", _]) => invoices::retrieve(st, c),
        ("POST", ["invoices", _, "pay"]) => invoices::pay(st, c),
        ("POST", ["test_helpers", "test_clocks"]) => clocks::create(st, c),
        ("GET", ["test_helpers", "test_clocks"]) => clocks::list(st, c),
        ("GET", ["test_helpers", "test_clocks", _]) => clocks::retrieve(st, c),
        ("DELETE", ["test_helpers", "test_clocks", _]) => clocks::delete(st, c),
        ("POST", ["test_helpers", "test_clocks", _, "advance"]) => clocks::advance(st, c),
        ("GET", ["events"]) => events::list(st, c),
        ("GET", ["events", _]) => events::retrieve(st, c),
        _ => Err(ApiError::unrecognized_url(&c.method, &c.path)),
    }
}

/// The key from `Authorization: Bearer k` or `Basic base64(k:)`.
pub fn presented_key(authorization: Option<&str>) -> Option<String> {
    let a = authorization?.trim();
    if let Some(k) = a.strip_prefix("Bearer ") {
        return Some(k.trim().to_string());
    }
    let b64 = a.strip_prefix("Basic ")?;
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    Some(s.split(':').next().unwrap_or("").to_string())
}

fn auth(cfg: &Config, inc: &Incoming) -> Res<()> {
    match presented_key(inc.header("authorization")) {
        None => Err(ApiError::no_key()),
        Some(k) if k.is_empty() => Err(ApiError::no_key()),
        Some(k) if k == cfg.secret_key => Ok(()),
        Some(k) => Err(ApiError::bad_key(&k)),
    }
}

fn respond(status: u16, body: String, request_id: &str, extra: Vec<(String, String)>) -> Reply {
    let mut headers = vec![
        ("request-id".to_string(), request_id.to_string()),
        ("stripe-version".to_string(), API_VERSION.to_string()),
    ];
    headers.extend(extra);
    Reply::Full {
        status,
        content_type: "application/json".into(),
        headers,
        body: body.into_bytes(),
    }
}

fn error_reply(e: &ApiError, request_id: &str) -> Reply {
    respond(
        e.status,
        e.body(request_id).to_string(),
        request_id,
        Vec::new(),
    )
}

/// Answers one call under `/v1/`. `fault` is what `/_sandbox/faults` armed for this
/// path, if anything (status 0 = only a delay).
pub fn handle(
    inc: &Incoming,
    stripe: &Mutex<Stripe>,
    fault: Option<(u16, Duration, Option<String>)>,
) -> Reply {
    let request_id = new_id("req_");
    let method = inc.method.as_str().to_ascii_uppercase();
    {
        let mut st = lock(stripe);
        clocks::settle(&mut st);
        if let Err(e) = auth(&st.cfg, inc) {
            return error_reply(&e, &request_id);
        }
    }
    if let Some((status, delay, body)) = fault {
        std::thread::sleep(delay);
        if let Some(body) = body {
            return Reply::Html(if status == 0 { 200 } else { status }, body);
        }
        if status != 0 {
            return error_reply(&ApiError::injected(status), &request_id);
        }
    }
    let body = if method == "GET" {
        ""
    } else {
        inc.body.as_str()
    };
    let idem_key = (method == "POST")
        .then(|| inc.header("idempotency-key"))
        .flatten()
        .map(str::to_string);
    let fingerprint = format!(
        "{method} {} {}",
        inc.path,
        form::canonical(&inc.raw_query, body)
    );
    let mut st = lock(stripe);
    if let Some(key) = &idem_key {
        if key.len() > idempotency::MAX_KEY_LEN {
            return error_reply(
                &ApiError::invalid(None, "Idempotency-Key must be at most 255 characters long"),
                &request_id,
            );
        }
        match st.idempotency.lookup(key, &fingerprint, now()) {
            idempotency::Lookup::Fresh => {}
            idempotency::Lookup::Replay(status, saved) => {
                return respond(
                    status,
                    saved,
                    &request_id,
                    vec![
                        ("idempotent-replayed".into(), "true".into()),
                        ("idempotency-key".into(), key.clone()),
                    ],
                )
            }
            idempotency::Lookup::Mismatch => {
                return error_reply(&ApiError::idempotency(key), &request_id)
            }
        }
    }
    let call = Call {
        segs: inc
            .path
            .strip_prefix(BASE)
            .unwrap_or("")
            .trim_end_matches('/')
            .split('/')
            .map(form::decode)
            .collect(),
        params: form::parse(&inc.raw_query, body),
        path: inc.path.clone(),
        method,
    };
    st.request = Some((request_id.clone(), idem_key.clone()));
    let result = route(&mut st, &call);
    st.request = None;
    let (status, text) = match result {
        Ok(v) => (200, v.to_string()),
        Err(e) => (e.status, e.body(&request_id).to_string()),
    };
    if let Some(key) = &idem_key {
        st.idempotency.save(key, &fingerprint, status, &text, now());
    }
    let extra = idem_key
        .map(|k| vec![("idempotency-key".to_string(), k)])
        .unwrap_or_default();
    respond(status, text, &request_id, extra)
}

/// The background work: test clocks turning `ready`, what falls due on the real
/// clock, and webhook deliveries (with retries). Runs every 50 ms.
pub fn spawn_worker(stripe: Arc<Mutex<Stripe>>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(50));
        let batch = {
            let mut st = lock(&stripe);
            clocks::settle(&mut st);
            clocks::run_due(&mut st, None, now());
            let at = Instant::now();
            let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut st.queue)
                .into_iter()
                .partition(|d| d.due <= at);
            st.queue = later;
            due
        };
        for d in batch {
            let t = now();
            let sig = webhooks::signature_header(&d.secret, t, &d.body);
            let outcome = webhooks::post(&d.url, &sig, &d.body);
            let mut st = lock(&stripe);
            let ok = matches!(outcome, Ok(s) if (200..300).contains(&s));
            let mut entry = Map::new();
            entry.insert("eventId".into(), json!(d.event_id));
            entry.insert("type".into(), json!(d.event_type));
            entry.insert("url".into(), json!(d.url));
            entry.insert("attempt".into(), json!(d.attempt));
            entry.insert("ok".into(), json!(ok));
            entry.insert("at".into(), json!(t));
            match &outcome {
                Ok(s) => {
                    entry.insert("status".into(), json!(s));
                }
                Err(e) => {
                    entry.insert("status".into(), Value::Null);
                    entry.insert("error".into(), json!(e));
                }
            }
            st.deliveries.push(Value::Object(entry));
            if st.deliveries.len() > 5000 {
                st.deliveries.remove(0);
            }
            if ok {
                events::delivered(&mut st, &d.event_id);
            } else if let Some(delay) = webhooks::retry_delay(d.attempt) {
                let mut next = d.clone();
                next.attempt += 1;
                next.due = Instant::now() + delay;
                st.queue.push(next);
            } else {
                events::delivered(&mut st, &d.event_id);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_bearer_and_basic() {
        assert_eq!(presented_key(Some("Bearer sk_1")).as_deref(), Some("sk_1"));
        // base64("sk_1:")
        assert_eq!(
            presented_key(Some("Basic c2tfMTo=")).as_deref(),
            Some("sk_1")
        );
        assert_eq!(presented_key(Some("Token x")), None);
        assert_eq!(presented_key(None), None);
    }

    #[test]
    fn parameter_helpers() {
        let p = form::parse("", "a=1&b=x&c=true&m[k]=v&created[gte]=10&e=");
        assert!(allow(&p, &["a", "b", "c", "m", "created", "e"]).is_ok());
        assert_eq!(
            allow(&p, &["a"]).expect_err("unknown").code.as_deref(),
            Some("parameter_unknown")
        );
        assert_eq!(int(&p, "a").expect("int"), Some(1));
        assert!(int(&p, "b").is_err());
        assert_eq!(boolean(&p, "c").expect("bool"), Some(true));
        assert!(boolean(&p, "b").is_err());
        assert_eq!(
            required(&p, "x").expect_err("missing").code.as_deref(),
            Some("parameter_missing")
        );
        assert_eq!(
            required(&p, "e").expect_err("empty").code.as_deref(),
            Some("parameter_invalid_empty")
        );
        assert!(created_matches(&p, 10).expect("filter"));
        assert!(!created_matches(&p, 9).expect("filter"));
        let mut md = json!({"old": "1", "k": "x"});
        apply_metadata(&mut md, &form::parse("", "metadata[k]=v&metadata[old]=")).expect("md");
        assert_eq!(md, json!({"k": "v"}));
        apply_metadata(&mut md, &form::parse("", "metadata=")).expect("md");
        assert_eq!(md, json!({}));
        assert_eq!(
            one_of(&p, "b", &["x", "y"]).expect("enum").as_deref(),
            Some("x")
        );
        assert!(one_of(&p, "b", &["y"]).is_err());
        assert!(new_id("cus_").starts_with("cus_") && new_id("x").len() == 15);
    }
}
