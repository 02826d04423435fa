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

/// At most 32 parameters are read.
pub fn of(req: &Request) -> Query {
    let url = req.inner().url();
    let (_, query) = nno_core::routing::split_url(&url);
    Query(nno_core::urls::query_pairs(query.unwrap_or(""), 32))
}
