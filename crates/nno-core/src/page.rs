//! Cursor pagination for every list: `?limit=&cursor=` in, `{data, pagination:
//! {hasMore, nextCursor, total}}` out. Lists are ordered newest first by
//! `(created_at, id)`; a cursor is that pair of the last row shown, hex-encoded, so it
//! stays valid while rows are added (an offset would skip or repeat rows).

use crate::encoding::{from_hex, hex};
use crate::error::ApiError;
use serde::Serialize;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// Where a page starts: after `(created_at, id)`, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    pub created_at: i64,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<After>,
}

impl PageRequest {
    /// From the raw `limit` and `cursor` query values.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid(
                        "limit",
                        "limit must be an integer from 1 to 100",
                    ))
                }
            },
        };
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => {
                Some(decode(c).ok_or_else(|| ApiError::invalid("cursor", "cursor is not valid"))?)
            }
        };
        Ok(PageRequest { limit, after })
    }

    /// The `(created_at, id)` to start after, for `WHERE (created_at, id) < (?, ?)`;
    /// the first page starts after everything.
    pub fn bounds(&self) -> (i64, String) {
        match &self.after {
            Some(a) => (a.created_at, a.id.clone()),
            None => (i64::MAX, String::new()),
        }
    }

    /// Rows to fetch: one more than shown, to know whether there is a next page.
    pub fn fetch(&self) -> usize {
        self.limit + 1
    }
}

pub fn encode(after: &After) -> String {
    hex(format!("{}:{}", after.created_at, after.id).as_bytes())
}

fn decode(cursor: &str) -> Option<After> {
    if cursor.len() > 256 {
        return None;
    }
    let text = String::from_utf8(from_hex(cursor)?).ok()?;
    let (at, id) = text.split_once(':')?;
    let created_at = at.parse().ok()?;
    (!id.is_empty() && id.len() <= 64).then(|| After {
        created_at,
        id: id.to_string(),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub has_more: bool,
    pub next_cursor: Option<String>,
    pub total: u64,
}

#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Page<T> {
    /// `rows` as fetched (up to `req.fetch()`), `key` giving each row's sort key.
    pub fn new(
        mut rows: Vec<T>,
        req: &PageRequest,
        total: u64,
        key: impl Fn(&T) -> After,
    ) -> Page<T> {
        let has_more = rows.len() > req.limit;
        rows.truncate(req.limit);
        let next_cursor = if has_more {
            rows.last().map(|r| encode(&key(r)))
        } else {
            None
        };
        Page {
            data: rows,
            pagination: Pagination {
                has_more,
                next_cursor,
                total,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors_are_checked() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(PageRequest::parse(Some("100"), None).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(PageRequest::parse(Some(bad), None).is_err(), "{bad}");
        }
        for bad in ["zz", "00", &hex(b"12:"), &hex(b"x:id"), &"a".repeat(300)] {
            assert!(PageRequest::parse(None, Some(bad)).is_err(), "{bad}");
        }
        let c = encode(&After {
            created_at: 5,
            id: "abc".into(),
        });
        let r = PageRequest::parse(None, Some(&c)).unwrap();
        assert_eq!(r.bounds(), (5, "abc".to_string()));
        assert_eq!(PageRequest::parse(None, None).unwrap().bounds().0, i64::MAX);
    }

    #[test]
    fn a_page_knows_whether_more_follow() {
        let req = PageRequest::parse(Some("2"), None).unwrap();
        let key = |n: &i64| After {
            created_at: *n,
            id: n.to_string(),
        };
        let p = Page::new(vec![9, 8, 7], &req, 3, key);
        assert_eq!(p.data, [9, 8]);
        assert!(p.pagination.has_more);
        let next = PageRequest::parse(None, p.pagination.next_cursor.as_deref()).unwrap();
        assert_eq!(next.bounds(), (8, "8".to_string()));
        let last = Page::new(vec![7], &req, 3, key);
        assert!(!last.pagination.has_more);
        assert_eq!(last.pagination.next_cursor, None);
    }
}
