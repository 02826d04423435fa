//! The iam migrations every platform's auth database gets, embedded at build time
//! (`build.rs` lists `migrations/iam`), applied through the D1 query API the way
//! wrangler does it: a `d1_migrations` table in that database names what is applied,
//! and the pending migrations run in one query together with their rows there (a
//! query's statements apply all or nothing).

include!(concat!(env!("OUT_DIR"), "/iam_migrations.rs"));

/// What wrangler creates, so `wrangler d1 migrations list` agrees with us.
pub const TRACKING: &str = "CREATE TABLE IF NOT EXISTS d1_migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);
SELECT name FROM d1_migrations ORDER BY id;";

/// The migrations not yet in `applied`, in order.
pub fn pending(applied: &[String]) -> Vec<(&'static str, &'static str)> {
    IAM_MIGRATIONS
        .iter()
        .filter(|(name, _)| !applied.iter().any(|a| a == name))
        .copied()
        .collect()
}

/// One migration and its tracking row, as one query. File names are ours
/// (`NNNN_name.sql`), checked to hold no quote.
pub fn statement(name: &str, sql: &str) -> Option<String> {
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        return None;
    }
    Some(format!(
        "{}\n;\nINSERT INTO d1_migrations (name) VALUES ('{name}');",
        sql.trim_end()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_iam_migration_is_embedded_in_order() {
        assert!(IAM_MIGRATIONS.len() >= 6);
        assert_eq!(IAM_MIGRATIONS[0].0, "0001_init.sql");
        let mut names: Vec<_> = IAM_MIGRATIONS.iter().map(|(n, _)| *n).collect();
        let given = names.clone();
        names.sort();
        assert_eq!(names, given);
        assert!(IAM_MIGRATIONS.iter().all(|(_, sql)| !sql.trim().is_empty()));
    }

    #[test]
    fn only_unapplied_migrations_are_pending() {
        assert_eq!(pending(&[]).len(), IAM_MIGRATIONS.len());
        let applied = vec![
            "0001_init.sql".to_string(),
            "0002_users_sessions.sql".to_string(),
        ];
        let p = pending(&applied);
        assert_eq!(p.len(), IAM_MIGRATIONS.len() - 2);
        assert_eq!(p[0].0, "0003_tenants_keys_2fa.sql");
        let all: Vec<String> = IAM_MIGRATIONS.iter().map(|(n, _)| n.to_string()).collect();
        assert!(pending(&all).is_empty());
    }

    #[test]
    fn each_statement_records_itself() {
        let s = statement("0001_init.sql", "CREATE TABLE a (b);\n").unwrap();
        assert!(s.starts_with("CREATE TABLE a (b);"));
        assert!(s.ends_with("INSERT INTO d1_migrations (name) VALUES ('0001_init.sql');"));
        assert_eq!(statement("x'); DROP TABLE user; --", "x"), None);
    }
}
