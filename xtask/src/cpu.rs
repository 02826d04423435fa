//! CPU time used by the workerd processes of one local platform, read from /proc, so
//! `cargo xtask bench` can report CPU per request (repeatable, unlike wall-clock
//! throughput on a shared machine).

use std::fs;

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux unless configured otherwise).
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU milliseconds of every `workerd` process in process group `pgid`.
pub fn workerd_ms(pgid: u32) -> f64 {
    let mut ticks = 0u64;
    let Ok(dir) = fs::read_dir("/proc") else {
        return 0.0;
    };
    for entry in dir.flatten() {
        let path = entry.path();
        if fs::read_to_string(path.join("comm"))
            .map(|c| c.trim() != "workerd")
            .unwrap_or(true)
        {
            continue;
        }
        let Ok(stat) = fs::read_to_string(path.join("stat")) else {
            continue;
        };
        // Fields after the command name (which may contain spaces) in parentheses.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        if field(2) == u64::from(pgid) {
            ticks += field(11) + field(12);
        }
    }
    ticks as f64 * 1000.0 / ticks_per_second()
}
