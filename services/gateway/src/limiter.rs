//! Exact rate limits: one `RateLimiter` Durable Object per key (an IP on an
//! authentication endpoint, a user on the API), each holding its fixed-window counter
//! (`nno_core::ratelimit`). All requests for one key meet in one object, wherever they
//! entered, so the count is exact.
//!
//! A counter whose window is longer than a minute (the bad-key budget, a key's own
//! long windows) is kept in the object's storage as well as in memory: the runtime
//! evicts an object after 70 to 140 s without requests, and a guesser who paused that
//! long would otherwise find a fresh budget. Shorter windows stay in memory only: no
//! object is evicted before such a window is over, and the per-user and per-IP checks
//! on every request then cost no storage write. An alarm at the end of each stored
//! window deletes it, so idle keys cost no storage.

use nno_core::contracts::LimiterAnswer;
use nno_core::ratelimit::{Decision, Rule, Window};
use nno_core::{ApiError, ErrorCode};
use std::cell::Cell;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

pub const BINDING: &str = "RATE_LIMITER";
/// The storage key of the counter: `[windowStartMs, count]`.
const STORED: &str = "window";
/// Windows up to this long are over before an idle object can be evicted.
const MEMORY_ONLY_MAX_MS: u64 = 60_000;

fn stored(rule: &Rule) -> bool {
    rule.window_ms > MEMORY_ONLY_MAX_MS
}

#[durable_object]
pub struct RateLimiter {
    state: State,
    /// `None` until read from storage by this instance.
    window: Cell<Option<Window>>,
}

impl RateLimiter {
    async fn load(&self, rule: &Rule) -> Window {
        if let Some(w) = self.window.get() {
            return w;
        }
        if !stored(rule) {
            return Window::default();
        }
        // Numbers, not u64s: they cross into JS and back as plain doubles.
        let stored: Option<[f64; 2]> = self.state.storage().get(STORED).await.ok().flatten();
        let w = stored
            .map(|[start, count]| Window {
                start_ms: start as u64,
                count: count as u32,
            })
            .unwrap_or_default();
        self.window.set(Some(w));
        w
    }

    async fn save(&self, before: Window, after: Window, rule: &Rule) -> Result<()> {
        self.window.set(Some(after));
        if after == before || !stored(rule) {
            return Ok(());
        }
        let storage = self.state.storage();
        storage
            .put(STORED, [after.start_ms as f64, f64::from(after.count)])
            .await?;
        if after.start_ms != before.start_ms {
            // A new window: clean up once it is over (a later window moves the alarm on).
            let ends = after.start_ms.saturating_add(rule.window_ms) as f64;
            storage
                .set_alarm(worker::ScheduledTime::new(worker::js_sys::Date::new(
                    &ends.into(),
                )))
                .await?;
        }
        Ok(())
    }
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter {
            state,
            window: Cell::new(None),
        }
    }

    /// `GET /?limit=N&window=MS[&peek=1]`: counts one request (or, with `peek`, only
    /// looks), answers the decision.
    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.inner().url();
        let pairs =
            nno_core::urls::query_pairs(nno_core::routing::split_url(&url).1.unwrap_or(""), 8);
        let param = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.parse::<u64>().ok())
        };
        let (Some(limit), Some(window_ms)) = (param("limit"), param("window")) else {
            return Response::error("limit and window are required", 400);
        };
        let rule = Rule {
            name: "",
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            window_ms,
        };
        let now = worker::Date::now().as_millis();
        let before = self.load(&rule).await;
        let d = if param("peek") == Some(1) {
            before.peek(&rule, now)
        } else {
            let mut after = before;
            let d = after.hit(&rule, now);
            self.save(before, after, &rule).await?;
            d
        };
        Response::from_json(&LimiterAnswer {
            allowed: d.allowed,
            limit: d.limit,
            remaining: d.remaining,
            reset_ms: d.reset_ms,
        })
    }

    /// The last window is over: forget it (memory and storage).
    async fn alarm(&self) -> Result<Response> {
        self.window.set(Some(Window::default()));
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}

/// Counts a request for `key` under `rule`; `Err` is the 429 (or a 503 if the limiter
/// cannot be reached: failing closed keeps brute force out when the counter is gone).
pub async fn check(env: &Env, rule: &Rule, key: &str) -> std::result::Result<(), ApiError> {
    let unavailable = |cause: String| {
        ApiError::new(ErrorCode::ServiceUnavailable, "rate limiter unavailable").with_cause(cause)
    };
    let stub = env
        .durable_object(BINDING)
        .and_then(|ns| ns.get_by_name(&format!("{}:{key}", rule.name)))
        .map_err(|e| unavailable(e.to_string()))?;
    let url = format!(
        "https://limiter/?limit={}&window={}",
        rule.limit, rule.window_ms
    );
    let mut resp = stub
        .fetch_with_str(&url)
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    let a: LimiterAnswer = resp.json().await.map_err(|e| unavailable(e.to_string()))?;
    let d = Decision {
        allowed: a.allowed,
        limit: rule.limit,
        remaining: a.remaining,
        reset_ms: a.reset_ms,
    };
    if d.allowed {
        return Ok(());
    }
    let mut err = ApiError::new(ErrorCode::RateLimited, "too many requests; retry later")
        .with_details(serde_json::json!({ "rule": rule.name, "limit": rule.limit, "windowSeconds": rule.window_ms / 1000 }));
    for (name, value) in d.headers(rule) {
        err = err.with_header(name, value);
    }
    Err(err)
}
