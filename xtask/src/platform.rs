//! The local platform: every migration applied to fresh local state, and the seven
//! Workers run together on workerd by one `wrangler dev` (service bindings, local D1,
//! KV and Queues), the gateway on the given port.

use crate::build::{crate_dir, SERVICES, SKIP_ENV};
use crate::toolchain::Toolchain;
use crate::util::{self, step};
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// Services with a D1 database, each migrated from `migrations/<name>/`.
pub const WITH_D1: [&str; 5] = [
    "iam",
    "registry",
    "billing",
    "provisioning",
    "stack-registry",
];

pub struct Options {
    /// Worker crates to run (or paths of wrangler configs, ending in `.toml`); the
    /// first is served on `port`, the rest are reachable through service bindings only.
    pub workers: Vec<String>,
    pub port: u16,
    pub persist_dir: PathBuf,
    /// wrangler's dev registry, through which `wrangler dev` processes find each
    /// other's Workers for service bindings. Each platform gets its own, so a test run
    /// never binds to a developer's running `cargo xtask dev` (or to each other).
    pub registry_dir: PathBuf,
    /// Where wrangler's output goes; `None` inherits the terminal.
    pub log_file: Option<PathBuf>,
    /// wrangler's `--log-level`; `None` keeps its default (every console line shown).
    pub log_level: Option<&'static str>,
    /// Variables overriding the first Worker's `[vars]` (`--var NAME:VALUE`).
    pub vars: Vec<(String, String)>,
    /// Where wrangler writes its debug log (`WRANGLER_LOG_PATH`); `None` keeps its
    /// default under the user's wrangler directory.
    pub debug_log: Option<PathBuf>,
}

impl Options {
    /// One Worker on its own, with its own state and dev registry under `work/<label>*`
    /// and its log at `work/<label>.log`, on a free port.
    pub fn alone(worker: &str, work: &Path, label: &str) -> Result<Options, String> {
        Ok(Options {
            workers: vec![worker.to_string()],
            port: util::free_port()?,
            persist_dir: work.join(format!("{label}-state")),
            registry_dir: work.join(format!("{label}-registry")),
            log_file: Some(work.join(format!("{label}.log"))),
            log_level: None,
            vars: Vec::new(),
            debug_log: None,
        })
    }

    pub fn all_services(port: u16, persist_dir: PathBuf, log_file: Option<PathBuf>) -> Options {
        Options {
            workers: SERVICES.iter().map(|s| s.to_string()).collect(),
            port,
            registry_dir: persist_dir.join("dev-registry"),
            persist_dir,
            log_file,
            log_level: None,
            vars: Vec::new(),
            debug_log: None,
        }
    }
}

/// A running `wrangler dev`; stopped (with everything it spawned) when dropped.
pub struct Platform {
    child: Child,
    pub port: u16,
}

impl Platform {
    /// Another process-group leader (the console's dev server), stopped the same way.
    pub fn adopt(child: Child, port: u16) -> Platform {
        Platform { child, port }
    }

    /// The process group of wrangler and the workerd it runs.
    pub fn pgid(&self) -> u32 {
        self.child.id()
    }

    pub fn try_wait(&mut self) -> std::io::Result<Option<std::process::ExitStatus>> {
        self.child.try_wait()
    }

    pub fn stop(&mut self) {
        // wrangler was started as a process-group leader: signal the whole group so
        // workerd goes too.
        let pgid = self.child.id();
        let _ = std::process::Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{pgid}")])
            .status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = std::process::Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pgid}")])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Copies each service's `.dev.vars.example` to `.dev.vars` where that is missing, so
/// a fresh clone runs with local settings and placeholder secrets. An existing
/// `.dev.vars` keeps its values and only gains the keys the example added since.
pub fn ensure_dev_vars(root: &Path) -> Result<(), String> {
    for s in SERVICES {
        let dir = crate_dir(root, s);
        let vars = dir.join(".dev.vars");
        let example =
            fs::read_to_string(dir.join(".dev.vars.example")).map_err(|e| e.to_string())?;
        let current = fs::read_to_string(&vars).unwrap_or_default();
        let missing: Vec<&str> = example
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter(|l| {
                l.split_once('=')
                    .is_some_and(|(k, _)| dev_var(&current, k.trim()).is_none())
            })
            .collect();
        if missing.is_empty() {
            continue;
        }
        let mut text = current;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.is_empty() {
            text.push_str("# added from .dev.vars.example by cargo xtask\n");
        }
        let addition = if text.is_empty() {
            example.clone()
        } else {
            missing.join("\n") + "\n"
        };
        text.push_str(&addition);
        fs::write(&vars, text).map_err(|e| format!("{}: {e}", vars.display()))?;
    }
    Ok(())
}

/// The value of `key` in a `.dev.vars` text.
pub fn dev_var(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
}

/// Applies every D1 migration to the local state in `persist_dir`.
pub fn migrate(root: &Path, tools: &Toolchain, persist_dir: &Path) -> Result<(), String> {
    migrate_only(root, tools, persist_dir, &WITH_D1)
}

/// Applies the migrations of the named services only.
pub fn migrate_only(
    root: &Path,
    tools: &Toolchain,
    persist_dir: &Path,
    services: &[&str],
) -> Result<(), String> {
    for &s in services {
        step(&format!("applying {s} migrations"));
        let persist = persist_dir.display().to_string();
        let config = crate::build::config_arg(root, s);
        let args = [
            "d1",
            "migrations",
            "apply",
            "DB",
            "--local",
            "--persist-to",
            &persist,
            "-c",
            &config,
        ];
        let out = util::output(tools.wrangler_cmd(root, &args).env("CI", "true"))?;
        let applied = out.lines().filter(|l| l.contains('✅')).count();
        eprintln!("    {applied} applied");
    }
    Ok(())
}

pub fn start(root: &Path, tools: &Toolchain, opts: &Options) -> Result<Platform, String> {
    if !util::port_is_free(opts.port) {
        return Err(format!(
            "port {} is in use; choose another with --port",
            opts.port
        ));
    }
    let inspector = util::free_port()?;
    let port = opts.port.to_string();
    let inspector = inspector.to_string();
    let persist = opts.persist_dir.display().to_string();
    let configs: Vec<String> = opts
        .workers
        .iter()
        .map(|w| {
            if w.ends_with(".toml") {
                w.clone()
            } else {
                crate::build::config_arg(root, w)
            }
        })
        .collect();
    let mut args = vec!["dev"];
    for c in &configs {
        args.extend(["-c", c.as_str()]);
    }
    if let Some(level) = opts.log_level {
        args.extend(["--log-level", level]);
    }
    let vars: Vec<String> = opts.vars.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    for v in &vars {
        args.extend(["--var", v.as_str()]);
    }
    args.extend([
        "--ip",
        "127.0.0.1",
        "--port",
        &port,
        "--inspector-port",
        &inspector,
        "--persist-to",
        &persist,
        "--local",
        "--show-interactive-dev-session=false",
        "--live-reload=false",
    ]);
    let mut cmd = tools.wrangler_cmd(root, &args).env(SKIP_ENV, "1").env(
        "WRANGLER_REGISTRY_PATH",
        opts.registry_dir.display().to_string(),
    );
    if let Some(path) = &opts.debug_log {
        cmd = cmd.env("WRANGLER_LOG_PATH", path.display().to_string());
    }
    let mut command = cmd.command();
    command.process_group(0).stdin(Stdio::null());
    if let Some(log) = &opts.log_file {
        let f = fs::File::create(log).map_err(|e| e.to_string())?;
        let f2 = f.try_clone().map_err(|e| e.to_string())?;
        command.stdout(f).stderr(f2);
    }
    let child = command
        .spawn()
        .map_err(|e| format!("could not start wrangler dev: {e}"))?;
    Ok(Platform {
        child,
        port: opts.port,
    })
}

/// Runs `sql` on `service`'s local D1 in `persist_dir` (`wrangler d1 execute --local
/// --json`); the JSON wrangler prints.
pub fn d1_execute(
    root: &Path,
    tools: &Toolchain,
    persist_dir: &Path,
    service: &str,
    sql: &str,
) -> Result<String, String> {
    let persist = persist_dir.display().to_string();
    let config = crate::build::config_arg(root, service);
    let args = [
        "d1",
        "execute",
        "DB",
        "--local",
        "--persist-to",
        &persist,
        "-c",
        &config,
        "--json",
        "--command",
        sql,
    ];
    util::output(tools.wrangler_cmd(root, &args).env("CI", "true"))
}

#[cfg(test)]
mod tests {
    use super::dev_var;

    #[test]
    fn reads_dev_vars_values() {
        let text = "# comment\nA=1\n  B = two \nC=\"quoted\"\n#D=hidden\n";
        assert_eq!(dev_var(text, "A").as_deref(), Some("1"));
        assert_eq!(dev_var(text, "B").as_deref(), Some("two"));
        assert_eq!(dev_var(text, "C").as_deref(), Some("quoted"));
        assert_eq!(dev_var(text, "D"), None);
        assert_eq!(dev_var(text, "E"), None);
    }
}
