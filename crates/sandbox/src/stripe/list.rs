//! Stripe's list envelope `{object: "list", data, has_more, url}` and cursor
//! pagination: `limit` (1-100, default 10), `starting_after`, `ending_before` (ids),
//! over items already in list order (newest first).

use super::errors::{ApiError, Res};
use serde_json::{json, Value};

pub fn limit(params: &Value) -> Res<usize> {
    match params.get("limit").and_then(Value::as_str) {
        None => Ok(10),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n as usize),
            Ok(_) => Err(ApiError::bad_value(
                "limit",
                "parameter_invalid_integer",
                "This value must be greater than or equal to 1 and less than or equal to 100.",
            )),
            Err(_) => Err(ApiError::bad_value(
                "limit",
                "parameter_invalid_integer",
                format!("Invalid integer: {s}"),
            )),
        },
    }
}

/// The page of `items` (ids under `"id"`) the parameters ask for, and whether more
/// follow in that direction.
pub fn page(items: &[Value], params: &Value, what: &str) -> Res<(Vec<Value>, bool)> {
    let n = limit(params)?;
    let pos = |param: &str| -> Res<Option<usize>> {
        match params
            .get(param)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(id) => items
                .iter()
                .position(|v| v["id"] == id)
                .map(Some)
                .ok_or_else(|| ApiError::no_such(what, id, param)),
        }
    };
    if let Some(i) = pos("starting_after")? {
        let rest = &items[i + 1..];
        return Ok((rest.iter().take(n).cloned().collect(), rest.len() > n));
    }
    if let Some(i) = pos("ending_before")? {
        let before = &items[..i];
        let from = before.len().saturating_sub(n);
        return Ok((before[from..].to_vec(), from > 0));
    }
    Ok((items.iter().take(n).cloned().collect(), items.len() > n))
}

pub fn envelope(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

/// `page` then `envelope`.
pub fn respond(items: &[Value], params: &Value, what: &str, url: &str) -> Res<Value> {
    let (data, more) = page(items, params, what)?;
    Ok(envelope(data, more, url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<Value> {
        (0..n).map(|i| json!({ "id": format!("x{i}") })).collect()
    }

    fn ids(v: &[Value]) -> Vec<String> {
        v.iter()
            .map(|x| x["id"].as_str().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn pages_forward_and_backward() {
        let all = items(25);
        let (p, more) = page(&all, &json!({}), "thing").expect("page");
        assert_eq!((p.len(), more), (10, true));
        let (p, more) = page(
            &all,
            &json!({"starting_after": "x19", "limit": "10"}),
            "thing",
        )
        .expect("page");
        assert_eq!(
            (ids(&p), more),
            (
                vec!["x20", "x21", "x22", "x23", "x24"]
                    .into_iter()
                    .map(String::from)
                    .collect::<Vec<_>>(),
                false
            )
        );
        let (p, more) =
            page(&all, &json!({"ending_before": "x3", "limit": "2"}), "thing").expect("page");
        assert_eq!(
            (ids(&p), more),
            (vec!["x1".to_string(), "x2".to_string()], true)
        );
        let (p, more) =
            page(&all, &json!({"ending_before": "x2", "limit": "5"}), "thing").expect("page");
        assert_eq!((p.len(), more), (2, false));
    }

    #[test]
    fn bad_limits_and_unknown_cursors_are_refused() {
        let all = items(3);
        for bad in ["0", "101", "abc"] {
            let e = page(&all, &json!({ "limit": bad }), "thing").expect_err("refused");
            assert_eq!(e.param.as_deref(), Some("limit"));
        }
        let e = page(&all, &json!({"starting_after": "nope"}), "thing").expect_err("refused");
        assert_eq!(e.status, 404);
        assert_eq!(envelope(vec![], false, "/v1/x")["object"], "list");
    }
}
