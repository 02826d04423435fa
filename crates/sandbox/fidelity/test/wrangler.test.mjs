// wrangler (the repository's pinned copy) against the sandbox: `d1 create/list/
// execute --remote` and `d1 migrations apply --remote`. Skipped when wrangler is not
// installed (`cargo xtask setup` installs it under wrangler/node_modules).
// `wrangler deploy` is not covered: it needs endpoints outside the stand-in
// (`/workers/services/{name}`, the workers.dev subdomain, ...).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACCOUNT, BASE_URL, TOKEN, startSandbox, stopSandbox, control } from '../harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const wrangler = process.env.WRANGLER_BIN || path.resolve(here, '../../../../wrangler/node_modules/.bin/wrangler');
const skip = fs.existsSync(wrangler) ? false : `wrangler not installed at ${wrangler}`;
const run = promisify(execFile);
let cwd;

async function w(...args) {
  try {
    const { stdout } = await run(wrangler, args, {
      cwd,
      timeout: 90_000,
      env: {
        ...process.env,
        CLOUDFLARE_API_BASE_URL: BASE_URL,
        CLOUDFLARE_API_TOKEN: TOKEN,
        CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
        WRANGLER_SEND_METRICS: 'false',
        NO_UPDATE_NOTIFIER: '1',
        CI: '1',
      },
    });
    return { ok: true, out: stdout };
  } catch (e) {
    return { ok: false, out: `${e.stdout}${e.stderr}` };
  }
}

before(async () => {
  if (skip) return;
  // Its own sandbox on the next port, so it can run beside cloudflare.test.mjs.
  process.env.SANDBOX_FIDELITY_PORT = String(Number(process.env.SANDBOX_FIDELITY_PORT || 18931) + 1);
  await startSandbox();
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'nno-wrangler-fidelity-'));
});
after(() => {
  if (skip) return;
  stopSandbox();
  fs.rmSync(cwd, { recursive: true, force: true });
});

test('wrangler d1 create, list, execute, migrations apply', { skip }, async () => {
  const created = await w('d1', 'create', 'fid-wrangler');
  assert.ok(created.ok, created.out);
  const list = await w('d1', 'list', '--json');
  const dbs = JSON.parse(list.out.slice(list.out.indexOf('[')));
  const db = dbs.find((d) => d.name === 'fid-wrangler');
  assert.ok(db, list.out);

  const dup = await w('d1', 'create', 'fid-wrangler');
  assert.match(dup.out, /A database with that name already exists/);

  const exec = await w('d1', 'execute', 'fid-wrangler', '--remote', '--json', '--command',
    'CREATE TABLE x (a INTEGER); INSERT INTO x VALUES (1), (2); SELECT count(*) AS n FROM x');
  assert.ok(exec.ok, exec.out);
  const results = JSON.parse(exec.out.slice(exec.out.indexOf('[')));
  assert.equal(results.at(-1).results[0].n, 2);

  fs.writeFileSync(path.join(cwd, 'wrangler.json'), JSON.stringify({
    name: 'fid-wrangler-app', main: 'index.js', compatibility_date: '2025-06-01',
    d1_databases: [{ binding: 'DB', database_name: 'fid-wrangler', database_id: db.uuid, migrations_dir: 'migrations' }],
  }));
  fs.writeFileSync(path.join(cwd, 'index.js'), 'export default { fetch() { return new Response("ok"); } };');
  fs.mkdirSync(path.join(cwd, 'migrations'));
  fs.writeFileSync(path.join(cwd, 'migrations/0001_init.sql'),
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);\nINSERT INTO users (email) VALUES ('a@x.test');\n");
  const applied = await w('d1', 'migrations', 'apply', 'fid-wrangler', '--remote');
  assert.ok(applied.ok, applied.out);
  const again = await w('d1', 'migrations', 'apply', 'fid-wrangler', '--remote');
  assert.match(again.out, /No migrations to apply/);
  const state = await control('GET', 'state');
  const tables = state.d1.find((d) => d.uuid === db.uuid).tables;
  assert.ok(tables.includes('users') && tables.includes('x') && tables.includes('d1_migrations'), tables.join(','));
});
