//! Products, prices, billing meters and meter events.
//!
//! Seeded at start (and on reset): products "NNO Starter/Growth/Scale"
//! (`prod_nno_starter` …, metadata `tier`) with monthly USD licensed prices
//! `price_nno_{tier}_monthly` (lookup keys `nno_{tier}_monthly`; 4900, 19900, 79900),
//! and sum meters for `nno_worker_invocations`, `nno_d1_rows_read`,
//! `nno_d1_rows_written`, `nno_r2_operations`, `nno_kv_operations` (customer by id
//! from `payload[stripe_customer_id]`, value from `payload[value]`).
//!
//! Meter events: `event_name` must name an active meter (else 400 `resource_missing`),
//! the payload must carry the customer and an integer value, `identifier` is unique
//! over 24 h (a repeat: 400 `resource_already_exists`, not counted twice), `timestamp`
//! within the past 35 days and at most 5 minutes ahead (on the customer's clock).

use super::errors::{ApiError, Res};
use super::{
    allow, allow_nested, apply_metadata, boolean, expands, int, int_at, list, new_id, now,
    required, text, Call, Stripe,
};
use serde_json::{json, Value};

pub const TIERS: [(&str, &str, i64); 3] = [
    ("starter", "NNO Starter", 4900),
    ("growth", "NNO Growth", 19900),
    ("scale", "NNO Scale", 79900),
];

pub const METERS: [(&str, &str); 5] = [
    ("nno_worker_invocations", "Worker invocations"),
    ("nno_d1_rows_read", "D1 rows read"),
    ("nno_d1_rows_written", "D1 rows written"),
    ("nno_r2_operations", "R2 operations"),
    ("nno_kv_operations", "KV operations"),
];

const IDENTIFIER_TTL: i64 = 24 * 3600;

fn product_json(id: &str, name: &str, created: i64) -> Value {
    json!({
        "id": id, "object": "product", "active": true, "created": created, "default_price": null,
        "description": null, "images": [], "livemode": false, "marketing_features": [],
        "metadata": {}, "name": name, "package_dimensions": null, "shippable": null,
        "statement_descriptor": null, "tax_code": null, "type": "service", "unit_label": null,
        "updated": created, "url": null,
    })
}

#[allow(clippy::too_many_arguments)]
fn price_json(
    id: &str,
    product: &str,
    unit_amount: i64,
    currency: &str,
    recurring: Option<Value>,
    lookup_key: Option<&str>,
    created: i64,
) -> Value {
    json!({
        "id": id, "object": "price", "active": true, "billing_scheme": "per_unit",
        "created": created, "currency": currency, "custom_unit_amount": null, "livemode": false,
        "lookup_key": lookup_key, "metadata": {}, "nickname": null, "product": product,
        "type": if recurring.is_some() { "recurring" } else { "one_time" },
        "recurring": recurring, "tax_behavior": "unspecified", "tiers_mode": null,
        "transform_quantity": null, "unit_amount": unit_amount,
        "unit_amount_decimal": unit_amount.to_string(),
    })
}

fn meter_json(id: &str, display: &str, event_name: &str, created: i64) -> Value {
    json!({
        "id": id, "object": "billing.meter", "created": created,
        "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
        "default_aggregation": {"formula": "sum"}, "display_name": display,
        "event_name": event_name, "event_time_window": null, "livemode": false,
        "status": "active", "status_transitions": {"deactivated_at": null}, "updated": created,
        "value_settings": {"event_payload_key": "value"},
    })
}

/// The seeded products, prices and meters.
pub fn seed(created: i64) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let mut products = Vec::new();
    let mut prices = Vec::new();
    for (tier, name, amount) in TIERS {
        let prod = format!("prod_nno_{tier}");
        let price = format!("price_nno_{tier}_monthly");
        let mut p = product_json(&prod, name, created);
        p["metadata"] = json!({ "tier": tier });
        p["default_price"] = json!(price);
        products.push(p);
        let mut pr = price_json(
            &price,
            &prod,
            amount,
            "usd",
            Some(
                json!({"interval": "month", "interval_count": 1, "meter": null,
                        "usage_type": "licensed", "trial_period_days": null}),
            ),
            Some(&format!("nno_{tier}_monthly")),
            created,
        );
        pr["metadata"] = json!({ "tier": tier });
        prices.push(pr);
    }
    let meters = METERS
        .iter()
        .map(|(event, display)| meter_json(&format!("meter_{event}"), display, event, created))
        .collect();
    (products, prices, meters)
}

pub fn create_product(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "name",
            "id",
            "active",
            "description",
            "metadata",
            "default_price_data",
            "images",
            "url",
            "unit_label",
            "tax_code",
            "statement_descriptor",
            "shippable",
        ],
    )?;
    let name = required(p, "name")?;
    let id = text(p, "id")
        .filter(|s| !s.is_empty())
        .map_or_else(|| new_id("prod_"), str::to_string);
    if st.products.iter().any(|x| x["id"] == id.as_str()) {
        return Err(ApiError::bad_value(
            "id",
            "resource_already_exists",
            format!("Product already exists: '{id}'"),
        ));
    }
    let created = now();
    let mut prod = product_json(&id, &name, created);
    if let Some(a) = boolean(p, "active")? {
        prod["active"] = json!(a);
    }
    if let Some(d) = text(p, "description").filter(|s| !s.is_empty()) {
        prod["description"] = json!(d);
    }
    apply_metadata(&mut prod["metadata"], p)?;
    if let Some(dp) = p.get("default_price_data") {
        let currency = dp["currency"].as_str().unwrap_or("");
        if currency.is_empty() {
            return Err(ApiError::missing("default_price_data[currency]"));
        }
        let amount = int_at(dp.get("unit_amount"), "default_price_data[unit_amount]")?.unwrap_or(0);
        let recurring = recurring_of(dp.get("recurring"), "default_price_data[recurring]")?;
        let price_id = new_id("price_");
        st.prices.push(price_json(
            &price_id, &id, amount, currency, recurring, None, created,
        ));
        prod["default_price"] = json!(price_id);
    }
    st.products.push(prod.clone());
    Ok(prod)
}

pub fn retrieve_product(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &[])?;
    let id = c.seg(1);
    st.products
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("product", id, "id"))
}

pub fn list_products(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "active",
            "ids",
            "limit",
            "starting_after",
            "ending_before",
            "created",
        ],
    )?;
    let active = boolean(p, "active")?;
    let items: Vec<Value> = st
        .products
        .iter()
        .rev()
        .filter(|x| active.is_none_or(|a| x["active"] == a))
        .cloned()
        .collect();
    list::respond(&items, p, "product", "/v1/products")
}

fn recurring_of(v: Option<&Value>, param: &str) -> Res<Option<Value>> {
    let Some(r) = v else { return Ok(None) };
    let interval = r["interval"].as_str().unwrap_or("");
    if interval.is_empty() {
        return Err(ApiError::missing(&format!("{param}[interval]")));
    }
    if !["day", "week", "month", "year"].contains(&interval) {
        return Err(ApiError::invalid(
            None,
            format!("Invalid {param}[interval]: must be one of day, week, month, or year"),
        )
        .with_param(&format!("{param}[interval]")));
    }
    let count = int_at(r.get("interval_count"), &format!("{param}[interval_count]"))?.unwrap_or(1);
    let usage = r["usage_type"].as_str().unwrap_or("licensed");
    Ok(Some(json!({
        "interval": interval, "interval_count": count, "meter": r.get("meter").cloned().unwrap_or(Value::Null),
        "usage_type": usage, "trial_period_days": null,
    })))
}

pub fn create_price(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "currency",
            "unit_amount",
            "unit_amount_decimal",
            "product",
            "product_data",
            "recurring",
            "lookup_key",
            "transfer_lookup_key",
            "nickname",
            "metadata",
            "active",
            "tax_behavior",
            "billing_scheme",
        ],
    )?;
    allow_nested(
        p,
        "recurring",
        &[
            "interval",
            "interval_count",
            "usage_type",
            "meter",
            "trial_period_days",
        ],
    )?;
    let currency = required(p, "currency")?.to_ascii_lowercase();
    let amount = match int(p, "unit_amount")? {
        Some(a) => a,
        None => match text(p, "unit_amount_decimal") {
            Some(d) => d.parse::<f64>().map(|f| f.round() as i64).map_err(|_| {
                ApiError::bad_value(
                    "unit_amount_decimal",
                    "parameter_invalid_decimal",
                    "Invalid decimal",
                )
            })?,
            None => return Err(ApiError::missing("unit_amount")),
        },
    };
    let created = now();
    let product = match (
        text(p, "product").filter(|s| !s.is_empty()),
        p.get("product_data"),
    ) {
        (Some(id), _) => {
            if !st.products.iter().any(|x| x["id"] == id) {
                return Err(ApiError::no_such("product", id, "product").with_status(400));
            }
            id.to_string()
        }
        (None, Some(pd)) => {
            let name = pd["name"].as_str().unwrap_or("");
            if name.is_empty() {
                return Err(ApiError::missing("product_data[name]"));
            }
            let id = new_id("prod_");
            st.products.push(product_json(&id, name, created));
            id
        }
        (None, None) => return Err(ApiError::missing("product")),
    };
    let recurring = recurring_of(p.get("recurring"), "recurring")?;
    let lookup_key = text(p, "lookup_key").filter(|s| !s.is_empty());
    if let Some(k) = lookup_key {
        let holder = st.prices.iter().position(|x| x["lookup_key"] == k);
        if let Some(i) = holder {
            if boolean(p, "transfer_lookup_key")? == Some(true) {
                st.prices[i]["lookup_key"] = Value::Null;
            } else {
                return Err(ApiError::bad_value(
                    "lookup_key",
                    "lookup_key_exists",
                    format!(
                        "A price ({}) already uses that lookup key.",
                        st.prices[i]["id"].as_str().unwrap_or("")
                    ),
                ));
            }
        }
    }
    let id = new_id("price_");
    let mut price = price_json(
        &id, &product, amount, &currency, recurring, lookup_key, created,
    );
    if let Some(n) = text(p, "nickname").filter(|s| !s.is_empty()) {
        price["nickname"] = json!(n);
    }
    if let Some(a) = boolean(p, "active")? {
        price["active"] = json!(a);
    }
    if let Some(t) = text(p, "tax_behavior") {
        price["tax_behavior"] = json!(t);
    }
    apply_metadata(&mut price["metadata"], p)?;
    st.prices.push(price.clone());
    Ok(price)
}

fn expand_product(st: &Stripe, mut price: Value) -> Value {
    let id = price["product"].as_str().unwrap_or("").to_string();
    if let Some(prod) = st.products.iter().find(|p| p["id"] == id.as_str()) {
        price["product"] = prod.clone();
    }
    price
}

pub fn retrieve_price(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &[])?;
    let id = c.seg(1);
    let price = st
        .price(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("price", id, "id"))?;
    Ok(if expands(&c.params).iter().any(|e| e == "product") {
        expand_product(st, price)
    } else {
        price
    })
}

pub fn list_prices(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "active",
            "currency",
            "lookup_keys",
            "product",
            "type",
            "recurring",
            "created",
            "limit",
            "starting_after",
            "ending_before",
        ],
    )?;
    let keys: Option<Vec<String>> = match p.get("lookup_keys") {
        Some(Value::Array(a)) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        Some(Value::String(s)) => Some(vec![s.clone()]),
        _ => None,
    };
    if keys.as_ref().is_some_and(|k| k.len() > 10) {
        return Err(ApiError::bad_value(
            "lookup_keys",
            "parameter_invalid_array",
            "You may only specify up to 10 lookup keys.",
        ));
    }
    let active = boolean(p, "active")?;
    let currency = text(p, "currency");
    let product = text(p, "product");
    let kind = text(p, "type");
    let interval = p["recurring"]["interval"].as_str();
    let expand = expands(p).iter().any(|e| e == "data.product");
    let mut items = Vec::new();
    for x in st.prices.iter().rev() {
        let keep = keys.as_ref().is_none_or(|k| {
            x["lookup_key"]
                .as_str()
                .is_some_and(|l| k.iter().any(|q| q == l))
        }) && active.is_none_or(|a| x["active"] == a)
            && currency.is_none_or(|cur| x["currency"] == cur)
            && product.is_none_or(|pr| x["product"] == pr)
            && kind.is_none_or(|t| x["type"] == t)
            && interval.is_none_or(|i| x["recurring"]["interval"] == i)
            && super::created_matches(p, x["created"].as_i64().unwrap_or(0))?;
        if keep {
            items.push(if expand {
                expand_product(st, x.clone())
            } else {
                x.clone()
            });
        }
    }
    list::respond(&items, p, "price", "/v1/prices")
}

pub fn list_meters(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(p, &["status", "limit", "starting_after", "ending_before"])?;
    let status = super::one_of(p, "status", &["active", "inactive"])?;
    let items: Vec<Value> = st
        .meters
        .iter()
        .filter(|m| status.as_ref().is_none_or(|s| m["status"] == s.as_str()))
        .cloned()
        .collect();
    list::respond(&items, p, "billing.meter", "/v1/billing/meters")
}

pub fn retrieve_meter(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &[])?;
    let id = c.seg(2);
    st.meters
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("billing.meter", id, "id"))
}

pub fn create_meter(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "display_name",
            "event_name",
            "default_aggregation",
            "customer_mapping",
            "value_settings",
            "event_time_window",
        ],
    )?;
    let display = required(p, "display_name")?;
    let event_name = required(p, "event_name")?;
    let formula = p["default_aggregation"]["formula"].as_str().unwrap_or("");
    if formula.is_empty() {
        return Err(ApiError::missing("default_aggregation[formula]"));
    }
    if !["sum", "count", "last"].contains(&formula) {
        return Err(ApiError::invalid(
            None,
            "Invalid default_aggregation[formula]: must be one of count, last, or sum",
        )
        .with_param("default_aggregation[formula]"));
    }
    if st
        .meters
        .iter()
        .any(|m| m["event_name"] == event_name.as_str() && m["status"] == "active")
    {
        return Err(ApiError::bad_value(
            "event_name",
            "resource_already_exists",
            format!("An active meter with event_name '{event_name}' already exists."),
        ));
    }
    let mut m = meter_json(&new_id("mtr_"), &display, &event_name, now());
    m["default_aggregation"] = json!({ "formula": formula });
    if let Some(k) = p["customer_mapping"]["event_payload_key"].as_str() {
        m["customer_mapping"]["event_payload_key"] = json!(k);
    }
    if let Some(k) = p["value_settings"]["event_payload_key"].as_str() {
        m["value_settings"]["event_payload_key"] = json!(k);
    }
    if let Some(w) = text(p, "event_time_window").filter(|s| !s.is_empty()) {
        m["event_time_window"] = json!(w);
    }
    st.meters.push(m.clone());
    Ok(m)
}

/// Whether `timestamp` is accepted at `now`: the past 35 days to 5 minutes ahead.
pub fn timestamp_ok(timestamp: i64, now: i64) -> Result<(), &'static str> {
    if timestamp < now - 35 * 86_400 {
        Err("timestamp_too_far_in_past")
    } else if timestamp > now + 300 {
        Err("timestamp_too_far_in_future")
    } else {
        Ok(())
    }
}

pub fn create_meter_event(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(p, &["event_name", "payload", "identifier", "timestamp"])?;
    let event_name = required(p, "event_name")?;
    let meter = st
        .meters
        .iter()
        .find(|m| m["event_name"] == event_name.as_str() && m["status"] == "active")
        .cloned()
        .ok_or_else(|| {
            ApiError::bad_value(
                "event_name",
                "resource_missing",
                format!("No active meter was found for event_name '{event_name}'."),
            )
        })?;
    let Some(payload) = p.get("payload").and_then(Value::as_object) else {
        return Err(ApiError::missing("payload"));
    };
    let cus_key = meter["customer_mapping"]["event_payload_key"]
        .as_str()
        .unwrap_or("stripe_customer_id");
    let val_key = meter["value_settings"]["event_payload_key"]
        .as_str()
        .unwrap_or("value");
    let customer = payload.get(cus_key).and_then(Value::as_str).unwrap_or("");
    if customer.is_empty() {
        return Err(ApiError::missing(&format!("payload[{cus_key}]")));
    }
    let value = payload.get(val_key).and_then(Value::as_str).unwrap_or("");
    if value.is_empty() {
        return Err(ApiError::missing(&format!("payload[{val_key}]")));
    }
    if value.parse::<i64>().is_err() {
        return Err(ApiError::bad_value(
            &format!("payload[{val_key}]"),
            "parameter_invalid_integer",
            format!("Invalid integer: {value} (meter event values must be whole numbers)"),
        ));
    }
    let clock_now = st.customer_now(customer);
    let timestamp = int(p, "timestamp")?.unwrap_or(clock_now);
    if let Err(code) = timestamp_ok(timestamp, clock_now) {
        return Err(ApiError::bad_value(
            "timestamp",
            code,
            "The timestamp must be within the past 35 calendar days and at most 5 minutes in the future.",
        ));
    }
    let real = now();
    st.identifiers.retain(|_, at| real - *at < IDENTIFIER_TTL);
    let identifier = text(p, "identifier")
        .filter(|s| !s.is_empty())
        .map_or_else(|| new_id("mev_"), str::to_string);
    if st.identifiers.contains_key(&identifier) {
        return Err(ApiError::bad_value(
            "identifier",
            "resource_already_exists",
            format!("An event already exists with identifier {identifier}."),
        ));
    }
    st.identifiers.insert(identifier.clone(), real);
    let ev = json!({
        "object": "billing.meter_event", "created": real, "event_name": event_name,
        "identifier": identifier, "livemode": false, "payload": payload, "timestamp": timestamp,
    });
    st.meter_events.push(ev.clone());
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::super::form;
    use super::*;

    fn call(method: &str, path: &str, q: &str) -> Call {
        Call {
            method: method.into(),
            segs: path
                .trim_start_matches("/v1/")
                .split('/')
                .map(str::to_string)
                .collect(),
            params: form::parse(q, ""),
            path: path.into(),
        }
    }

    #[test]
    fn seeded_prices_by_lookup_key_with_product_expanded() {
        let mut st = Stripe::from_env();
        let l = list_prices(
            &mut st,
            &call(
                "GET",
                "/v1/prices",
                "lookup_keys[0]=nno_growth_monthly&active=true&expand[0]=data.product",
            ),
        )
        .expect("list");
        assert_eq!(l["data"][0]["id"], "price_nno_growth_monthly");
        assert_eq!(l["data"][0]["unit_amount"], 19900);
        assert_eq!(l["data"][0]["product"]["name"], "NNO Growth");
        assert_eq!(l["data"][0]["metadata"]["tier"], "growth");
        let e =
            list_prices(&mut st, &call("GET", "/v1/prices", "lookup_key=x")).expect_err("unknown");
        assert_eq!(e.code.as_deref(), Some("parameter_unknown"));
        assert_eq!(st.meters.len(), 5);
    }

    #[test]
    fn price_create_and_lookup_key_transfer() {
        let mut st = Stripe::from_env();
        let p = create_price(
            &mut st,
            &call("POST", "/v1/prices", "currency=usd&unit_amount=100&product_data[name]=X&recurring[interval]=month&lookup_key=nno_starter_monthly&transfer_lookup_key=true"),
        )
        .expect("created");
        assert_eq!(p["lookup_key"], "nno_starter_monthly");
        assert_eq!(
            st.price("price_nno_starter_monthly")
                .map(|x| x["lookup_key"].clone()),
            Some(Value::Null)
        );
        let dup = create_price(
            &mut st,
            &call(
                "POST",
                "/v1/prices",
                "currency=usd&unit_amount=1&product=prod_nno_scale&lookup_key=nno_starter_monthly",
            ),
        );
        assert!(dup.is_err());
        assert!(create_price(&mut st, &call("POST", "/v1/prices", "unit_amount=1")).is_err());
    }

    #[test]
    fn meter_events_check_name_value_identifier_and_time() {
        let mut st = Stripe::from_env();
        let ok = "event_name=nno_d1_rows_read&payload[stripe_customer_id]=cus_1&payload[value]=3&identifier=a1";
        create_meter_event(&mut st, &call("POST", "/v1/billing/meter_events", ok))
            .expect("accepted");
        let dup = create_meter_event(&mut st, &call("POST", "/v1/billing/meter_events", ok))
            .expect_err("dup");
        assert_eq!(dup.code.as_deref(), Some("resource_already_exists"));
        assert_eq!(st.meter_events.len(), 1);
        let unknown = create_meter_event(
            &mut st,
            &call(
                "POST",
                "/v1/billing/meter_events",
                "event_name=nope&payload[stripe_customer_id]=c&payload[value]=1",
            ),
        );
        assert_eq!(unknown.expect_err("400").status, 400);
        let bad = create_meter_event(
            &mut st,
            &call(
                "POST",
                "/v1/billing/meter_events",
                "event_name=nno_d1_rows_read&payload[stripe_customer_id]=c&payload[value]=1.5",
            ),
        );
        assert!(bad.is_err());
        assert_eq!(
            timestamp_ok(100, 100 + 35 * 86_400 + 1),
            Err("timestamp_too_far_in_past")
        );
        assert_eq!(timestamp_ok(401, 100), Err("timestamp_too_far_in_future"));
        assert!(timestamp_ok(400, 100).is_ok());
    }
}
