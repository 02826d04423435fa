//! Query-string parameters of a request.

use worker::Request;

pub struct Query(Vec<(String, String)>);

impl Query {
    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn of(req: &Request) -> Query {
    Query(
        req.url()
            .map(|u| {
                u.query_pairs()
                    .take(32)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default(),
    )
}
