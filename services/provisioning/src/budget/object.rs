//! The Durable Object that holds the budget. Its window is kept in storage as well as
//! in memory: an object evicted while idle must not come back with a fresh budget.
//! Every decision is made on the in-memory window without an await between reading
//! and updating it, so concurrent requests cannot both take the last token.

use super::window::Window;
use super::{TakeAnswer, TakeRequest};
use serde::Deserialize;
use std::cell::RefCell;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const STORED: &str = "window";

#[durable_object]
pub struct CloudflareBudget {
    state: State,
    window: RefCell<Option<Window>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockRequest {
    for_ms: u64,
}

impl CloudflareBudget {
    async fn load(&self) -> Window {
        if let Some(w) = self.window.borrow().as_ref() {
            return w.clone();
        }
        let stored: Option<Window> = self.state.storage().get(STORED).await.ok().flatten();
        // Another request may have filled memory while storage was read.
        if let Some(w) = self.window.borrow().as_ref() {
            return w.clone();
        }
        let w = stored.unwrap_or_default();
        *self.window.borrow_mut() = Some(w.clone());
        w
    }

    /// Memory first: a storage write does not hold other requests back, and the next
    /// one must count this grant.
    async fn save(&self, w: Window) -> Result<()> {
        *self.window.borrow_mut() = Some(w.clone());
        self.state.storage().put(STORED, &w).await
    }
}

impl DurableObject for CloudflareBudget {
    fn new(state: State, _env: Env) -> Self {
        CloudflareBudget {
            state,
            window: RefCell::new(None),
        }
    }

    /// `POST /take {limit, windowMs}` → `{granted, retryAfterMs}`;
    /// `POST /block {forMs}` after a 429 from Cloudflare.
    async fn fetch(&self, mut req: Request) -> Result<Response> {
        // Bodies first: no await may come between reading the window and updating it.
        if req.path() == "/block" {
            let Ok(b) = req.json::<BlockRequest>().await else {
                return Response::error("forMs is required", 400);
            };
            let mut w = self.load().await;
            w.block(worker::Date::now().as_millis(), b.for_ms.min(600_000));
            self.save(w).await?;
            return Response::from_json(&TakeAnswer {
                granted: false,
                retry_after_ms: b.for_ms,
            });
        }
        let Ok(t) = req.json::<TakeRequest>().await else {
            return Response::error("limit and windowMs are required", 400);
        };
        let mut w = self.load().await;
        let answer = match w.take(worker::Date::now().as_millis(), t.limit, t.window_ms) {
            Ok(()) => TakeAnswer {
                granted: true,
                retry_after_ms: 0,
            },
            Err(ms) => TakeAnswer {
                granted: false,
                retry_after_ms: ms,
            },
        };
        if answer.granted {
            self.save(w).await?;
        } else {
            *self.window.borrow_mut() = Some(w);
        }
        Response::from_json(&answer)
    }
}
