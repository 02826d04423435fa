//! The NNO sandbox: a native program that answers like the external systems NNO's
//! Workers call, so that local runs and tests need no account anywhere.
//!
//! - Resend: `POST /resend/emails` (bearer key checked, body validated like Resend's).
//! - GitHub OAuth: `/github/login/oauth/authorize`, `/github/login/oauth/access_token`,
//!   API `/github/api/user` and `/github/api/user/emails`.
//! - Google OAuth: `/google/o/oauth2/v2/auth`, `/google/token` (id token carries the
//!   profile).
//! - Inspection for tests: `GET /_sandbox/emails[?to=addr]` lists captured e-mails,
//!   `POST /_sandbox/faults {"pathPrefix","status","times","delayMs","body"}` makes the next
//!   matching requests fail or wait, `GET /health`.
//!
//! The authorization endpoints approve at once (there is no person to ask): the user is
//! the one named by `login` (GitHub) or `login_hint` (Google), else a default.

mod http;
mod mail;
mod oauth;
mod state;

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
    eprintln!("sandbox listening on http://127.0.0.1:{port}");
    let server = Arc::new(server);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let server = Arc::clone(&server);
            let sandbox = Arc::clone(&sandbox);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    http::handle(request, &sandbox);
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
