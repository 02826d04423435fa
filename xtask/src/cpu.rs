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

/// CPU milliseconds used between two snapshots, counting only processes present in
/// both (a process that exits or appears in between cannot skew the figure).
pub fn used_ms(before: &Snapshot, after: &Snapshot) -> f64 {
    after
        .0
        .iter()
        .filter_map(|(pid, t)| before.0.get(pid).map(|b| t.saturating_sub(*b)))
        .sum::<u64>() as f64
        * 1000.0
        / ticks_per_second()
}

/// User + system CPU ticks of every `workerd` process in process group `pgid`.
pub struct Snapshot(std::collections::HashMap<u32, u64>);

pub fn snapshot(pgid: u32) -> Snapshot {
    let mut by_pid = std::collections::HashMap::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return Snapshot(by_pid);
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
        let pid = entry
            .file_name()
            .to_string_lossy()
            .parse::<u32>()
            .unwrap_or(0);
        if field(2) == u64::from(pgid) {
            by_pid.insert(pid, field(11) + field(12));
        }
    }
    Snapshot(by_pid)
}
