-- registry: first migration. Records which service owns this database, so that
-- GET /health can prove the database is reachable, migrated and the right one.
-- Later migrations add the registry schema.
CREATE TABLE IF NOT EXISTS nno_meta (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

INSERT OR IGNORE INTO nno_meta (key, value, updated_at)
VALUES ('service', 'registry', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
