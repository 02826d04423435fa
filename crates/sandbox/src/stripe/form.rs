//! Stripe's form encoding: `application/x-www-form-urlencoded` with bracket notation
//! (`a[b]=v`, `items[0][price]=v`, `expand[]=v`), into a nested JSON value whose leaves
//! are strings. `%5B`/`%5D` are decoded before brackets are read; `+` is a space.

use serde_json::{Map, Value};

/// Percent-decodes one component (`+` = space); invalid escapes stay as written.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `name=value` pairs in order, decoded (at most `cap` pairs).
pub fn pairs(s: &str, cap: usize) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .take(cap)
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `items[0][price]` -> `["items", "0", "price"]`; `k[]` -> `["k", ""]`. A key whose
/// brackets do not close is taken whole.
pub fn segments(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_string()];
    };
    let mut segs = vec![key[..open].to_string()];
    let mut rest = &key[open..];
    while let Some(r) = rest.strip_prefix('[') {
        let Some(close) = r.find(']') else {
            return vec![key.to_string()];
        };
        segs.push(r[..close].to_string());
        rest = &r[close + 1..];
    }
    if !rest.is_empty() || segs[0].is_empty() {
        return vec![key.to_string()];
    }
    segs
}

enum Node {
    Leaf(String),
    Branch(Vec<(String, Node)>),
}

fn insert(node: &mut Node, segs: &[String], value: String) {
    let Some((first, rest)) = segs.split_first() else {
        *node = Node::Leaf(value);
        return;
    };
    if let Node::Leaf(_) = node {
        *node = Node::Branch(Vec::new());
    }
    let Node::Branch(children) = node else {
        return;
    };
    // `k[]` appends: a fresh index each time.
    let key = if first.is_empty() {
        children.len().to_string()
    } else {
        first.clone()
    };
    if let Some((_, child)) = children.iter_mut().find(|(k, _)| *k == key) {
        insert(child, rest, value);
    } else {
        let mut child = Node::Leaf(String::new());
        insert(&mut child, rest, value);
        children.push((key, child));
    }
}

fn to_value(node: Node) -> Value {
    match node {
        Node::Leaf(s) => Value::String(s),
        Node::Branch(children) => {
            let all_indexes =
                !children.is_empty() && children.iter().all(|(k, _)| k.parse::<usize>().is_ok());
            if all_indexes {
                let mut indexed: Vec<(usize, Value)> = children
                    .into_iter()
                    .map(|(k, n)| (k.parse().unwrap_or(0), to_value(n)))
                    .collect();
                indexed.sort_by_key(|(i, _)| *i);
                Value::Array(indexed.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(
                    children
                        .into_iter()
                        .map(|(k, n)| (k, to_value(n)))
                        .collect::<Map<_, _>>(),
                )
            }
        }
    }
}

/// Pairs into one nested object (later pairs win over earlier ones for the same key).
pub fn nest(pairs: &[(String, String)]) -> Value {
    let mut root = Node::Branch(Vec::new());
    for (k, v) in pairs {
        if k.is_empty() {
            continue;
        }
        insert(&mut root, &segments(k), v.clone());
    }
    match to_value(root) {
        Value::Object(o) => Value::Object(o),
        // Top-level numeric keys only (`0=a`): keep them as an object.
        Value::Array(a) => Value::Object(
            a.into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
        ),
        _ => Value::Object(Map::new()),
    }
}

/// The query string and the form body together (body pairs after query pairs).
pub fn parse(query: &str, body: &str) -> Value {
    let mut all = pairs(query, 2000);
    all.extend(pairs(body, 2000));
    nest(&all)
}

/// A canonical form of the parameters, to compare idempotent retries.
pub fn canonical(query: &str, body: &str) -> String {
    let mut all = pairs(query, 2000);
    all.extend(pairs(body, 2000));
    all.sort();
    all.into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_nest_into_objects_and_arrays() {
        let v = parse(
            "",
            "email=a%40example.com&metadata[tenant_id]=t_1&items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2",
        );
        assert_eq!(
            v,
            json!({"email": "a@example.com", "metadata": {"tenant_id": "t_1"},
                   "items": [{"price": "p1", "quantity": "2"}, {"price": "p2"}]})
        );
    }

    #[test]
    fn encoded_brackets_empty_brackets_and_query_merge() {
        let v = parse(
            "lookup_keys%5B0%5D=a&lookup_keys%5B1%5D=b&expand[]=data.product&expand[]=x",
            "name=A+B&description=",
        );
        assert_eq!(v["lookup_keys"], json!(["a", "b"]));
        assert_eq!(v["expand"], json!(["data.product", "x"]));
        assert_eq!(v["name"], "A B");
        assert_eq!(v["description"], "");
    }

    #[test]
    fn indexes_sort_numerically_and_odd_keys_survive() {
        let v = parse("", "k[10]=b&k[2]=a&a[b=1&[x]=2&%zz=3");
        assert_eq!(v["k"], json!(["a", "b"]));
        assert_eq!(v["a[b"], "1");
        assert_eq!(v["[x]"], "2");
        assert_eq!(v["%zz"], "3");
        assert_eq!(segments("items[0][price]"), vec!["items", "0", "price"]);
        assert_eq!(segments("k[]"), vec!["k", ""]);
        assert_eq!(decode("%41%4"), "A%4");
    }

    #[test]
    fn canonical_ignores_order() {
        assert_eq!(canonical("", "b=2&a=1"), canonical("a=1", "b=2"));
        assert_ne!(canonical("", "a=1"), canonical("", "a=2"));
    }
}
