//! D1: databases that really run SQL. Each database is an in-memory SQLite
//! connection (behind the sandbox's Cloudflare mutex), so migrations, queries and
//! their errors behave like D1's SQLite.

use super::envelope::{err, json_object, now_rfc3339, ok, ok_page, paginate, uuid, CfReply};
use super::{Cloudflare, Req};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::ValueRef;
use rusqlite::{Batch, Connection};
use serde_json::{json, Map, Value};
use std::time::Instant;

pub struct Database {
    pub uuid: String,
    pub name: String,
    pub created_at: String,
    pub jurisdiction: Option<String>,
    pub conn: Connection,
}

const LOCATION_HINTS: &[&str] = &["wnam", "enam", "weur", "eeur", "apac", "oc"];
const JURISDICTIONS: &[&str] = &["eu", "fedramp", "us"];

/// D1's naming rule as wrangler enforces it: lowercase letters, digits, `-` and `_`,
/// 1 to 64 characters (the exact server-side rule is not documented).
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Database {
    /// Tables the user made (SQLite's and D1's internal `_cf_` tables excluded).
    pub fn table_names(&self) -> Vec<String> {
        let sql = "SELECT name FROM sqlite_master WHERE type = 'table' \
                   AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name";
        let Ok(mut stmt) = self.conn.prepare(sql) else {
            return Vec::new();
        };
        stmt.query_map([], |r| r.get::<_, String>(0))
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    }

    pub fn file_size(&self) -> i64 {
        let pages: i64 = self
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap_or(0);
        let size: i64 = self
            .conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap_or(4096);
        pages * size
    }

    fn summary(&self) -> Value {
        let mut v = json!({
            "uuid": self.uuid,
            "name": self.name,
            "version": "production",
            "created_at": self.created_at,
        });
        if let Some(j) = &self.jurisdiction {
            v["jurisdiction"] = json!(j);
        }
        v
    }

    fn detail(&self) -> Value {
        let mut v = self.summary();
        v["num_tables"] = json!(self.table_names().len());
        v["file_size"] = json!(self.file_size());
        v["running_in_region"] = json!("ENAM");
        v["read_replication"] = json!({ "mode": "disabled" });
        v
    }
}

pub fn create(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return err(400, 7400, "The request is malformed: name is required");
    };
    if !valid_name(name) {
        return err(
            400,
            7400,
            "The request is malformed: a database name may contain only lowercase letters, digits, '-' and '_' (1-64 characters)",
        );
    }
    for (field, allowed) in [
        ("primary_location_hint", LOCATION_HINTS),
        ("jurisdiction", JURISDICTIONS),
    ] {
        if let Some(v) = body.get(field) {
            if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
                return err(
                    400,
                    7400,
                    format!("The request is malformed: invalid {field}"),
                );
            }
        }
    }
    if cf.d1.iter().any(|d| d.name == name) {
        return err(400, 7502, "A database with that name already exists");
    }
    let conn = match Connection::open_in_memory() {
        Ok(c) => c,
        Err(e) => return err(500, 7500, format!("could not open the database: {e}")),
    };
    let db = Database {
        uuid: uuid(),
        name: name.to_string(),
        created_at: now_rfc3339(),
        jurisdiction: body
            .get("jurisdiction")
            .and_then(Value::as_str)
            .map(String::from),
        conn,
    };
    let out = db.summary();
    cf.d1.push(db);
    ok(out)
}

pub fn list(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let name = req.query.get("name");
    let all: Vec<Value> = cf
        .d1
        .iter()
        .filter(|d| name.is_none_or(|n| &d.name == n))
        .map(Database::summary)
        .collect();
    let (page, info) = paginate(&all, req.query, 1000, 10_000);
    ok_page(page, info)
}

fn find<'a>(cf: &'a Cloudflare, id: &str) -> Result<&'a Database, CfReply> {
    cf.d1
        .iter()
        .find(|d| d.uuid == id)
        .ok_or_else(|| err(404, 7404, "The database could not be found"))
}

pub fn get(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match find(cf, req.param(1)) {
        Ok(db) => ok(db.detail()),
        Err(e) => e,
    }
}

pub fn delete(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let before = cf.d1.len();
    cf.d1.retain(|d| d.uuid != req.param(1));
    if cf.d1.len() == before {
        return err(404, 7404, "The database could not be found");
    }
    ok(Value::Null)
}

/// `POST …/query` (rows as objects) and `…/raw` (columns + rows).
pub fn query(cf: &mut Cloudflare, req: &Req, raw: bool) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let statements = match statements(&body) {
        Ok(s) => s,
        Err(m) => return err(400, 7400, format!("The request is malformed: {m}")),
    };
    let db = match find(cf, req.param(1)) {
        Ok(db) => db,
        Err(e) => return e,
    };
    match run_all(db, &statements, raw) {
        Ok(results) => ok(Value::Array(results)),
        Err(m) => err(400, 7500, m),
    }
}

type Statement = (String, Vec<Value>);

/// `{sql, params?}` or `{batch: [{sql, params?}, …]}`.
fn statements(body: &Map<String, Value>) -> Result<Vec<Statement>, String> {
    let one = |o: &Map<String, Value>| -> Result<Statement, String> {
        let sql = o
            .get("sql")
            .and_then(Value::as_str)
            .ok_or("sql is required")?;
        let params = match o.get("params") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err("params must be an array".into()),
        };
        Ok((sql.to_string(), params))
    };
    match body.get("batch") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_object()
                    .ok_or("batch items must be objects".to_string())
                    .and_then(one)
            })
            .collect(),
        Some(_) => Err("batch must be an array".into()),
        None => one(body).map(|s| vec![s]),
    }
}

/// Runs every statement in order inside one savepoint: all or nothing, like D1.
fn run_all(db: &Database, statements: &[Statement], raw: bool) -> Result<Vec<Value>, String> {
    db.conn
        .execute_batch("SAVEPOINT sandbox_d1")
        .map_err(|e| sql_error(&e))?;
    let mut results = Vec::new();
    for (sql, params) in statements {
        if let Err(e) = run_sql(db, sql, params, raw, &mut results) {
            let _ = db
                .conn
                .execute_batch("ROLLBACK TO sandbox_d1; RELEASE sandbox_d1");
            return Err(e);
        }
    }
    db.conn
        .execute_batch("RELEASE sandbox_d1")
        .map_err(|e| sql_error(&e))?;
    Ok(results)
}

/// One `sql` string may hold several statements (migration files do): each gets its
/// own result, in order. Statements that take parameters bind `params` from the start.
fn run_sql(
    db: &Database,
    sql: &str,
    params: &[Value],
    raw: bool,
    results: &mut Vec<Value>,
) -> Result<(), String> {
    let mut batch = Batch::new(&db.conn, sql);
    let mut ran_any = false;
    while let Some(mut stmt) = batch.next().map_err(|e| sql_error(&e))? {
        ran_any = true;
        let started = Instant::now();
        let before = db.conn.total_changes();
        let wanted = stmt.parameter_count();
        if wanted > params.len() {
            return Err(format!(
                "Wrong number of parameter bindings for SQL query (expected {wanted}, got {}): SQLITE_RANGE",
                params.len()
            ));
        }
        for (i, p) in params.iter().take(wanted).enumerate() {
            bind(&mut stmt, i + 1, p).map_err(|e| sql_error(&e))?;
        }
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let mut rows_out: Vec<Vec<Value>> = Vec::new();
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(|e| sql_error(&e))? {
            let mut vals = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                vals.push(to_json(row.get_ref(i).map_err(|e| sql_error(&e))?));
            }
            rows_out.push(vals);
        }
        drop(rows);
        let readonly = stmt.readonly();
        let changes = db.conn.total_changes().saturating_sub(before);
        let meta = json!({
            "served_by": "sandbox",
            "served_by_region": "ENAM",
            "served_by_primary": true,
            "duration": started.elapsed().as_secs_f64() * 1000.0,
            "changes": changes,
            "last_row_id": db.conn.last_insert_rowid(),
            "changed_db": !readonly && changes > 0,
            "size_after": db.file_size(),
            "rows_read": rows_out.len(),
            "rows_written": if readonly { 0 } else { changes },
            "timings": { "sql_duration_ms": started.elapsed().as_secs_f64() * 1000.0 },
        });
        let results_value = if raw {
            json!({ "columns": columns, "rows": rows_out })
        } else {
            Value::Array(
                rows_out
                    .into_iter()
                    .map(|r| Value::Object(columns.iter().cloned().zip(r).collect::<Map<_, _>>()))
                    .collect(),
            )
        };
        results.push(json!({ "results": results_value, "success": true, "meta": meta }));
    }
    if !ran_any {
        return Err("No SQL statements detected.".into());
    }
    Ok(())
}

fn bind(stmt: &mut rusqlite::Statement<'_>, i: usize, p: &Value) -> rusqlite::Result<()> {
    match p {
        Value::Null => stmt.raw_bind_parameter(i, rusqlite::types::Null),
        Value::Bool(b) => stmt.raw_bind_parameter(i, i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(v) => stmt.raw_bind_parameter(i, v),
            None => stmt.raw_bind_parameter(i, n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => stmt.raw_bind_parameter(i, s.as_str()),
        other => stmt.raw_bind_parameter(i, other.to_string()),
    }
}

fn to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
        // D1 hands blobs back as arrays of byte values.
        ValueRef::Blob(b) => json!(b),
    }
}

/// D1's error text: SQLite's message, then the result code's name.
fn sql_error(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(f, msg) => {
            let code = match f.code {
                rusqlite::ErrorCode::ConstraintViolation => "SQLITE_CONSTRAINT",
                rusqlite::ErrorCode::TypeMismatch => "SQLITE_MISMATCH",
                rusqlite::ErrorCode::TooBig => "SQLITE_TOOBIG",
                rusqlite::ErrorCode::ParameterOutOfRange => "SQLITE_RANGE",
                _ => "SQLITE_ERROR",
            };
            format!("{}: {code}", msg.as_deref().unwrap_or("SQL error"))
        }
        other => format!("{other}: SQLITE_ERROR"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Database {
        Database {
            uuid: uuid(),
            name: "t".into(),
            created_at: now_rfc3339(),
            jurisdiction: None,
            conn: Connection::open_in_memory().expect("sqlite"),
        }
    }

    #[test]
    fn names() {
        assert!(valid_name("nno-registry_stg"));
        assert!(!valid_name(""));
        assert!(!valid_name("Upper"));
        assert!(!valid_name("has space"));
        assert!(!valid_name(&"a".repeat(65)));
    }

    #[test]
    fn a_migration_file_runs_statement_by_statement() {
        let d = db();
        let migration = "-- 0001\nCREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n\
             CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET v = v || ';' WHERE id = new.id; END;\n\
             INSERT INTO t (v) VALUES ('a'), ('b');";
        let out = run_all(&d, &[(migration.into(), vec![])], false).expect("runs");
        assert_eq!(out.len(), 3);
        assert_eq!(out[2]["meta"]["changes"], 4); // 2 inserts + 2 trigger updates
        let out = run_all(
            &d,
            &[("SELECT v FROM t WHERE id = ?".into(), vec![json!(2)])],
            true,
        )
        .expect("runs");
        assert_eq!(out[0]["results"]["columns"], json!(["v"]));
        assert_eq!(out[0]["results"]["rows"], json!([["b;"]]));
        assert_eq!(d.table_names(), vec!["t".to_string()]);
    }

    #[test]
    fn a_failing_statement_rolls_the_request_back() {
        let d = db();
        run_all(
            &d,
            &[("CREATE TABLE t (v TEXT UNIQUE)".into(), vec![])],
            false,
        )
        .expect("runs");
        let e = run_all(
            &d,
            &[
                ("INSERT INTO t VALUES ('x')".into(), vec![]),
                ("INSERT INTO t VALUES ('x')".into(), vec![]),
            ],
            false,
        )
        .expect_err("unique violation");
        assert!(e.contains("UNIQUE constraint failed"), "{e}");
        assert!(e.ends_with("SQLITE_CONSTRAINT"));
        let out =
            run_all(&d, &[("SELECT count(*) AS n FROM t".into(), vec![])], false).expect("runs");
        assert_eq!(out[0]["results"][0]["n"], 0);
        assert!(run_all(&d, &[("SELEC 1".into(), vec![])], false)
            .expect_err("syntax")
            .contains("syntax error"));
    }
}
