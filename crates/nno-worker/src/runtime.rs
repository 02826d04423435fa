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

/// Logs panics with their message before the instance is torn down.
pub fn install_panic_hook() {
    console_error_panic_hook::set_once();
}
