//! The iam migrations every platform's auth database gets, embedded at build time
//! (`build.rs` lists `migrations/iam`), applied through the D1 query API the way
//! wrangler does it: a `d1_migrations` table in that database names what is applied,
//! and the pending migrations run in one query together with their rows there (a
//! query's statements apply all or nothing).
//!
//! A new database takes one call: `all_at_once` creates the table and applies every
//! migration. Where any is applied already its `INSERT` breaks `name`'s UNIQUE, the
//! whole query fails and changes nothing, and the step reads what is applied and runs
//! the rest (`TRACKING`, then `statement` per pending migration).

include!(concat!(env!("OUT_DIR"), "/iam_migrations.rs"));

/// What wrangler creates, so `wrangler d1 migrations list` agrees with us (a macro
/// so that both queries below are built from it at compile time).
macro_rules! create_tracking {
    () => {
        "CREATE TABLE IF NOT EXISTS d1_migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);"
    };
}

/// The tracking table, made if missing, and the names of the applied migrations.
pub const TRACKING: &str = concat!(
    create_tracking!(),
    "\nSELECT name FROM d1_migrations ORDER BY id;"
);

/// One query that makes the tracking table and applies `migrations` with their rows;
/// `None` if a name could carry a quote.
pub fn all_at_once(migrations: &[(&str, &str)]) -> Option<String> {
    let mut sql = String::from(create_tracking!());
    sql.push('\n');
    sql.push_str(&in_one_query(migrations)?);
    Some(sql)
}

/// `migrations`, each with its tracking row, as one query's text.
pub fn in_one_query(migrations: &[(&str, &str)]) -> Option<String> {
    let mut sql = String::new();
    for (name, body) in migrations {
        sql.push_str(&statement(name, body)?);
        sql.push('\n');
    }
    Some(sql)
}

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
fn statement(name: &str, sql: &str) -> Option<String> {
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

    #[test]
    fn all_at_once_makes_the_table_first_and_records_every_migration() {
        let sql = all_at_once(IAM_MIGRATIONS).unwrap();
        assert!(sql.starts_with("CREATE TABLE IF NOT EXISTS d1_migrations"));
        for (name, _) in IAM_MIGRATIONS {
            assert_eq!(
                sql.matches(&format!("VALUES ('{name}');")).count(),
                1,
                "{name}"
            );
        }
        // In file order: each migration's row follows its body, before the next one.
        let at = |n: &str| sql.find(&format!("('{n}')")).unwrap();
        assert!(at("0001_init.sql") < at("0002_users_sessions.sql"));
        assert!(TRACKING.starts_with(create_tracking!()));
        assert_eq!(all_at_once(&[("bad'name", "x")]), None);
        assert_eq!(in_one_query(&[]).as_deref(), Some(""));
    }
}
