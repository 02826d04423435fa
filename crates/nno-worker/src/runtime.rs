//! Clock and randomness from the JS runtime (`SystemTime::now` panics on wasm32).

/// Milliseconds since the Unix epoch. Inside a Worker the clock only advances across
/// I/O, which is what request timing needs.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Fills `buf` from `crypto.getRandomValues`.
pub fn fill_random(buf: &mut [u8]) {
    // getrandom only fails when the platform has no CSPRNG; Workers always has one.
    // Falling back to a fixed value would be silently insecure, so surface it loudly.
    if let Err(e) = getrandom::fill(buf) {
        worker::console_error!(
            "{{\"level\":\"error\",\"msg\":\"getrandom failed\",\"error\":\"{e}\"}}"
        );
        buf.fill(0);
    }
}

pub fn random_array<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    fill_random(&mut b);
    b
}

/// Random bytes for request and trace ids, from a per-isolate pool of CSPRNG output
/// refilled 1 KiB at a time: one `getRandomValues` crossing every ~20 requests
/// instead of three per request on the gateway's hot path. Not for secrets (tokens,
/// keys): those take `random_array`, fresh from the runtime each time.
pub fn id_random<const N: usize>() -> [u8; N] {
    use std::cell::RefCell;
    const POOL: usize = 1024;
    thread_local! {
        static BYTES: RefCell<(usize, [u8; POOL])> = const { RefCell::new((POOL, [0; POOL])) };
    }
    if N > POOL {
        return random_array();
    }
    BYTES.with(|b| {
        let mut b = b.borrow_mut();
        let (used, pool) = &mut *b;
        if *used + N > POOL {
            fill_random(pool);
            *used = 0;
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&pool[*used..*used + N]);
        // Spent bytes are wiped so no id is ever handed out twice.
        pool[*used..*used + N].fill(0);
        *used += N;
        out
    })
}

/// Logs panics with their message before the instance is torn down.
pub fn install_panic_hook() {
    console_error_panic_hook::set_once();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_id_bytes_are_never_handed_out_twice_across_refills() {
        // 24-byte draws straddle the 1 KiB pool's end, so refills are crossed too.
        let draws: Vec<[u8; 24]> = (0..200).map(|_| id_random()).collect();
        let mut unique = draws.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), draws.len());
        assert!(draws.iter().all(|d| d.iter().any(|b| *b != 0)));
    }
}
