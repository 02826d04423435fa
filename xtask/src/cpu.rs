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

/// CPU ticks the whole machine spent busy (every state of /proc/stat's `cpu` line but
/// idle and iowait).
pub fn machine_busy_ticks() -> u64 {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    f.iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum()
}

/// CPU ticks used so far by every process in process group `pgid` (wrangler, workerd
/// and their helpers), or by this process when `pgid` is `None`.
pub fn group_ticks(pgid: Option<u32>) -> u64 {
    let ticks = |stat: &str| -> Option<(u64, u64)> {
        let rest = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        Some((n(2), n(11) + n(12)))
    };
    let Some(pgid) = pgid else {
        return fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| ticks(&s))
            .map_or(0, |(_, t)| t);
    };
    let Ok(dir) = fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|e| fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|s| ticks(&s))
        .filter(|(g, _)| *g == u64::from(pgid))
        .map(|(_, t)| t)
        .sum()
}

/// How busy the rest of the machine was while a benchmark ran: the machine's busy
/// ticks minus those of the benchmark's own process groups and of this process.
pub struct Background {
    machine: u64,
    ours: u64,
    wall: std::time::Instant,
}

impl Background {
    pub fn start(pgids: &[u32]) -> Background {
        Background {
            machine: machine_busy_ticks(),
            ours: ours(pgids),
            wall: std::time::Instant::now(),
        }
    }

    /// Other processes' CPU since `start`, in cores (1.0 = one core fully busy).
    pub fn cores(&self, pgids: &[u32]) -> f64 {
        let machine = machine_busy_ticks().saturating_sub(self.machine);
        let ours = ours(pgids).saturating_sub(self.ours);
        machine.saturating_sub(ours) as f64
            / ticks_per_second()
            / self.wall.elapsed().as_secs_f64().max(1e-9)
    }
}

fn ours(pgids: &[u32]) -> u64 {
    pgids.iter().map(|g| group_ticks(Some(*g))).sum::<u64>() + group_ticks(None)
}

/// Under this many cores a runtime sent nothing counts as idle.
pub const IDLE_CORES: f64 = 0.02;

/// The workerd processes' CPU, in cores, while nothing is sent to them: waits (up to
/// `max`) until a 2-second window uses under `IDLE_CORES`, and returns the last window's
/// figure. A runtime just (re)started keeps compiling and optimising Wasm and JS in
/// background threads for seconds; CPU counted then is not the requests'.
pub fn wait_until_idle(pgid: u32, max: std::time::Duration) -> f64 {
    const WINDOW: std::time::Duration = std::time::Duration::from_secs(2);
    let deadline = std::time::Instant::now() + max;
    loop {
        let before = snapshot(pgid);
        std::thread::sleep(WINDOW);
        let cores = used_ms(&before, &snapshot(pgid)) / 1000.0 / WINDOW.as_secs_f64();
        if cores < IDLE_CORES || std::time::Instant::now() >= deadline {
            return cores;
        }
    }
}
