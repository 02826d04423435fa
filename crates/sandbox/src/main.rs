//! The NNO sandbox: a native program that answers like the external systems NNO's
//! Workers call, so that local runs and tests need no account anywhere.
//!
//! - Resend: `POST /resend/emails` (bearer key checked, body validated like Resend's).
//! - GitHub OAuth: `/github/login/oauth/authorize`, `/github/login/oauth/access_token`,
//!   API `/github/api/user` and `/github/api/user/emails`.
//! - Google OAuth: `/google/o/oauth2/v2/auth`, `/google/token` (id token carries the
//!   profile).
//! - Cloudflare API v4 (the subset provisioning uses: tokens verify, D1 with real SQL,
//!   Workers scripts + secrets + custom domains + routes, custom hostnames with SSL
//!   validation by polls, KV namespaces, R2 buckets, and the GraphQL Analytics API's
//!   usage datasets at `POST …/graphql` with deterministic daily usage), base URL
//!   `/cloudflare/client/v4`, bearer token `SANDBOX_CLOUDFLARE_API_TOKEN` (default
//!   `cf_sandbox_token`), account `SANDBOX_CLOUDFLARE_ACCOUNT_ID` (default
//!   `0123456789abcdef0123456789abcdef`), zone `SANDBOX_CLOUDFLARE_ZONE_ID` (default
//!   `fedcba9876543210fedcba9876543210`) named `SANDBOX_CLOUDFLARE_ZONE_NAME` (default
//!   `nno.example`); rate limit `SANDBOX_CLOUDFLARE_RATE_LIMIT` (1200) per
//!   `SANDBOX_CLOUDFLARE_RATE_WINDOW_MS` (300000), block `SANDBOX_CLOUDFLARE_RATE_BLOCK_MS`
//!   (= window); `SANDBOX_CLOUDFLARE_SSL_POLLS_TO_ACTIVE` (2). See `cloudflare/mod.rs`.
//! - Stripe API (customers, products and prices with the seeded NNO catalog, billing
//!   meters and meter events, subscriptions with prorations, invoices and
//!   `create_preview`, test clocks with renewals and dunning, events, signed webhook
//!   delivery), at `/v1/…` at the root (the `stripe` npm client takes no path prefix),
//!   key `SANDBOX_STRIPE_SECRET_KEY` (default `sk_test_local_sandbox`), webhooks to
//!   `SANDBOX_STRIPE_WEBHOOK_URL` signed with `SANDBOX_STRIPE_WEBHOOK_SECRET` (default
//!   `whsec_local_sandbox`). See `stripe/mod.rs`; test controls under
//!   `/_sandbox/stripe/` (`stripe/inspect.rs`).
//! - Inspection for tests: `GET /_sandbox/emails[?to=addr]` lists captured e-mails,
//!   `POST /_sandbox/faults {"pathPrefix","bodyContains","status","times","delayMs","body"}` makes the next
//!   matching requests fail or wait (on Cloudflare paths in Cloudflare's envelope, on
//!   `/v1/` paths in Stripe's error shape),
//!   `GET /health`.
//! - Cloudflare test controls: `GET /_sandbox/cloudflare/state`, `GET …/stats`,
//!   `GET|POST …/config {sslPollsToActive, rateLimit, rateWindowMs, blockMs}`,
//!   `POST …/reset`, `POST|GET|DELETE …/chaos {rate, kinds, timeoutMs, seed}`,
//!   `POST|GET|DELETE …/usage {resource, metric, date, value, dataset?}` (GraphQL
//!   Analytics overrides and query counts) (shapes in `cloudflare/inspect.rs`).
//!
//! The authorization endpoints approve at once (there is no person to ask): the user is
//! the one named by `login` (GitHub) or `login_hint` (Google), else a default.

// The invoice and subscription objects are large `json!` literals.
#![recursion_limit = "256"]

mod cloudflare;
mod http;
mod mail;
mod oauth;
mod state;
mod stripe;

use state::Sandbox;
use std::sync::{Arc, Mutex};

pub const RESEND_KEY_ENV: &str = "SANDBOX_RESEND_API_KEY";

fn main() {
    let mut port: u16 = 8790;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => fail("--port needs a number"),
            },
            "--help" | "-h" => {
                println!("usage: sandbox [--port N]   (default 8790)");
                return;
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    let server = match tiny_http::Server::http(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) => fail(&format!("cannot listen on 127.0.0.1:{port}: {e}")),
    };
    let sandbox = Arc::new(Mutex::new(Sandbox::from_env()));
    // Separate from the rest so D1 queries and uploads do not hold up OAuth and mail.
    let cloudflare = Arc::new(Mutex::new(cloudflare::Cloudflare::from_env()));
    let stripe = Arc::new(Mutex::new(stripe::Stripe::from_env()));
    stripe::spawn_worker(Arc::clone(&stripe));
    eprintln!("sandbox listening on http://127.0.0.1:{port}");
    let server = Arc::new(server);
    // Chaos timeouts and fault delays hold a thread each while they wait.
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let server = Arc::clone(&server);
            let sandbox = Arc::clone(&sandbox);
            let cloudflare = Arc::clone(&cloudflare);
            let stripe = Arc::clone(&stripe);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    http::handle(request, &sandbox, &cloudflare, &stripe);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("sandbox: {msg}");
    std::process::exit(2)
}
