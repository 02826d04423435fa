//! Checks of the committed wrangler configs against the architecture: Worker names,
//! bindings, routes and vars, and that staging repeats every one of them. Runs as a
//! native unit test (`cargo test -p xtask`).

#[cfg(test)]
mod tests {
    use crate::build::{crate_dir, SERVICES};
    use crate::util::repo_root;
    use nno_core::{Environment, Service};
    use toml::Value;

    fn config(name: &str) -> Value {
        let path = crate_dir(&repo_root(), name).join("wrangler.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        toml::from_str(&text).unwrap()
    }

    /// The environment's table: the top level for production, `env.stg` for staging.
    fn env_table(cfg: &Value, env: Environment) -> &Value {
        match env {
            Environment::Stg => &cfg["env"]["stg"],
            _ => cfg,
        }
    }

    fn list<'a>(t: &'a Value, key: &str) -> Vec<&'a Value> {
        t.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    fn services_bound(t: &Value) -> Vec<(String, String)> {
        list(t, "services")
            .iter()
            .map(|s| {
                (
                    s["binding"].as_str().unwrap().to_string(),
                    s["service"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn binding_names(t: &Value, key: &str) -> Vec<String> {
        let mut v: Vec<String> = list(t, key)
            .iter()
            .map(|b| b["binding"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn worker_names_follow_the_seed_in_both_environments() {
        for name in SERVICES {
            let cfg = config(name);
            let service = Service::from_name(name).unwrap();
            for env in [Environment::Prod, Environment::Stg] {
                let t = env_table(&cfg, env);
                assert_eq!(
                    t["name"].as_str(),
                    Some(service.worker_name(env).as_str()),
                    "{name} {env}"
                );
                assert_eq!(t["vars"]["SERVICE_NAME"].as_str(), Some(name));
                assert_eq!(t["vars"]["ENVIRONMENT"].as_str(), Some(env.as_str()));
            }
            assert_eq!(
                cfg["build"]["command"].as_str(),
                Some(format!("cargo xtask build-worker {name}").as_str())
            );
        }
    }

    #[test]
    fn staging_repeats_every_binding_with_stg_resources() {
        for name in SERVICES {
            let cfg = config(name);
            let (prod, stg) = (
                env_table(&cfg, Environment::Prod),
                env_table(&cfg, Environment::Stg),
            );
            for key in ["d1_databases", "kv_namespaces", "services"] {
                assert_eq!(
                    binding_names(prod, key),
                    binding_names(stg, key),
                    "{name} {key}"
                );
            }
            for (binding, target) in services_bound(stg) {
                assert!(target.ends_with("-stg"), "{name}: {binding} -> {target}");
            }
            for (p, s) in list(prod, "d1_databases")
                .iter()
                .zip(list(stg, "d1_databases"))
            {
                let pn = p["database_name"].as_str().unwrap();
                assert_eq!(s["database_name"].as_str().unwrap(), format!("{pn}-stg"));
                assert_ne!(p["database_id"], s["database_id"]);
                assert_eq!(p["migrations_dir"], s["migrations_dir"]);
            }
            for (p, s) in list(prod, "kv_namespaces")
                .iter()
                .zip(list(stg, "kv_namespaces"))
            {
                assert_ne!(
                    p["id"], s["id"],
                    "{name}: staging must not share a KV namespace"
                );
            }
            let dos = |t: &Value| t.get("durable_objects").map(|d| d["bindings"].clone());
            assert_eq!(dos(prod), dos(stg), "{name} durable objects");
            assert_eq!(
                prod.get("migrations"),
                stg.get("migrations"),
                "{name} DO migrations"
            );
            let (pq, sq) = (prod.get("queues"), stg.get("queues"));
            assert_eq!(pq.is_some(), sq.is_some(), "{name} queues");
        }
    }

    #[test]
    fn bindings_match_the_architecture() {
        let gw = config("gateway");
        let mut want: Vec<(String, String)> = Service::UPSTREAMS
            .iter()
            .map(|s| (s.binding().to_string(), s.worker_name(Environment::Prod)))
            .collect();
        want.sort();
        let mut got = services_bound(&gw);
        got.sort();
        assert_eq!(got, want);
        assert_eq!(binding_names(&gw, "kv_namespaces"), ["PLATFORM_STATUS"]);

        let reg = config("registry");
        let mut got: Vec<String> = services_bound(&reg).into_iter().map(|(b, _)| b).collect();
        got.sort();
        assert_eq!(got, ["NNO_BILLING", "NNO_IAM", "NNO_PROVISIONING"]);
        assert_eq!(binding_names(&reg, "kv_namespaces"), ["PLATFORM_STATUS"]);
        // Gateway and registry share the one Platform Status namespace.
        assert_eq!(
            list(&gw, "kv_namespaces")[0]["id"],
            list(&reg, "kv_namespaces")[0]["id"]
        );

        assert_eq!(binding_names(&config("cli"), "kv_namespaces"), ["TOKENS"]);
        for db in [
            "iam",
            "registry",
            "billing",
            "provisioning",
            "stack-registry",
        ] {
            assert_eq!(binding_names(&config(db), "d1_databases"), ["DB"], "{db}");
        }
        let prov = config("provisioning");
        let consumer = &prov["queues"]["consumers"][0];
        assert_eq!(
            consumer["queue"].as_str(),
            Some("nno-k3m9p2xw7q-provision-queue")
        );
        assert_eq!(
            consumer["dead_letter_queue"].as_str(),
            Some("nno-k3m9p2xw7q-provision-dlq")
        );
    }

    #[test]
    fn migrations_dirs_exist_with_numbered_files() {
        let root = repo_root();
        for name in SERVICES {
            let cfg = config(name);
            for db in list(&cfg, "d1_databases") {
                let dir = crate_dir(&root, name).join(db["migrations_dir"].as_str().unwrap());
                let files: Vec<String> = std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                assert!(!files.is_empty(), "{}", dir.display());
                for f in files {
                    let (num, rest) = f.split_at(4);
                    assert!(
                        num.bytes().all(|b| b.is_ascii_digit())
                            && rest.starts_with('_')
                            && f.ends_with(".sql"),
                        "{f}"
                    );
                }
            }
        }
    }

    #[test]
    fn custom_domains_and_cors_per_environment() {
        for name in SERVICES {
            let cfg = config(name);
            let prod: Vec<&str> = list(&cfg, "routes")
                .iter()
                .map(|r| r["pattern"].as_str().unwrap())
                .collect();
            let stg: Vec<&str> = list(env_table(&cfg, Environment::Stg), "routes")
                .iter()
                .map(|r| r["pattern"].as_str().unwrap())
                .collect();
            assert!(
                prod.contains(&format!("{name}.svc.nno.app").as_str()),
                "{name}"
            );
            assert!(
                stg.contains(&format!("{name}.svc.stg.nno.app").as_str()),
                "{name}"
            );
            for r in list(&cfg, "routes") {
                assert_eq!(r["custom_domain"].as_bool(), Some(true));
            }
        }
        let gw = config("gateway");
        assert_eq!(
            gw["vars"]["CORS_ORIGINS"].as_str(),
            Some("https://console.app.nno.app")
        );
        assert_eq!(
            gw["env"]["stg"]["vars"]["CORS_ORIGINS"].as_str(),
            Some("https://console.app.stg.nno.app,https://nno-k3m9p2xw7q-console.pages.dev,https://develop.nno-k3m9p2xw7q-console.pages.dev")
        );
    }

    #[test]
    fn secrets_are_documented_and_never_committed() {
        let root = repo_root();
        for name in SERVICES {
            let dir = crate_dir(&root, name);
            let example = std::fs::read_to_string(dir.join(".dev.vars.example")).unwrap();
            assert!(example.contains("ENVIRONMENT=local"), "{name}");
            let cfg = std::fs::read_to_string(dir.join("wrangler.toml")).unwrap();
            for secret in [
                "AUTH_API_KEY",
                "NNO_INTERNAL_API_KEY",
                "STRIPE_SECRET_KEY",
                "CF_API_TOKEN",
            ] {
                assert!(
                    !cfg.contains(secret),
                    "{name}: {secret} must be a secret, not a var"
                );
            }
        }
        let ignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == ".dev.vars"));
    }

    #[test]
    fn the_local_cloudflare_budget_stays_under_the_sandbox_limit() {
        let root = repo_root();
        let vars =
            std::fs::read_to_string(crate_dir(&root, "provisioning").join(".dev.vars.example"))
                .unwrap();
        let num = |k: &str| {
            crate::platform::dev_var(&vars, k)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("{k} in provisioning's .dev.vars.example"))
        };
        // The same window, and fewer grants in it than the sandbox allows: past its
        // limit the sandbox, like Cloudflare, refuses every call for a whole window.
        assert_eq!(
            num("CF_BUDGET_WINDOW_MS"),
            crate::sandbox::CF_RATE_WINDOW_MS
        );
        assert!(num("CF_BUDGET_LIMIT") < crate::sandbox::CF_RATE_LIMIT);
    }

    #[test]
    fn billing_local_stripe_secrets_match_the_sandbox() {
        let root = repo_root();
        let vars =
            std::fs::read_to_string(crate_dir(&root, "billing").join(".dev.vars.example")).unwrap();
        // The sandbox accepts billing's key and signs webhooks with billing's secret.
        assert_eq!(
            crate::platform::dev_var(&vars, "STRIPE_SECRET_KEY").as_deref(),
            Some(crate::sandbox::STRIPE_SECRET_KEY)
        );
        assert_eq!(
            crate::platform::dev_var(&vars, "STRIPE_WEBHOOK_SECRET").as_deref(),
            Some(crate::sandbox::STRIPE_WEBHOOK_SECRET)
        );
        // Billing calls the sandbox, not Stripe, locally.
        assert_eq!(
            crate::platform::dev_var(&vars, "STRIPE_API_BASE_URL"),
            Some(crate::sandbox::url())
        );
        let sandbox =
            std::fs::read_to_string(root.join("crates/sandbox/src/stripe/mod.rs")).unwrap();
        assert!(sandbox.contains(&format!(
            "DEFAULT_KEY: &str = \"{}\"",
            crate::sandbox::STRIPE_SECRET_KEY
        )));
        assert!(sandbox.contains(&format!(
            "DEFAULT_WEBHOOK_SECRET: &str = \"{}\"",
            crate::sandbox::STRIPE_WEBHOOK_SECRET
        )));
    }
}
