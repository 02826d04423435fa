// Fidelity of the sandbox's Cloudflare API stand-in, driven by Cloudflare's official
// npm client (cloudflare@7.3.0) and checked against Cloudflare's OpenAPI subset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Cloudflare from 'cloudflare';
import {
  ACCOUNT, ZONE, ZONE_NAME, BASE_URL, TOKEN,
  client, startSandbox, stopSandbox, control, armFault, exchanges, loadSpec, templateOf, violations,
} from '../harness.mjs';

const cf = client();
const account_id = ACCOUNT;
const zone_id = ZONE;

async function rejects(promise, ErrorClass, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ErrorClass, `expected ${ErrorClass.name}, got ${e?.constructor?.name}: ${e?.message}`);
    if (code !== undefined) assert.equal(e.errors?.[0]?.code, code, JSON.stringify(e.errors));
    return e;
  }
  assert.fail(`expected ${ErrorClass.name}`);
}

async function all(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}

before(async () => {
  await loadSpec();
  await startSandbox();
});
after(stopSandbox);

test('tokens verify, auth and routing errors', async () => {
  assert.equal((await cf.user.tokens.verify()).status, 'active');
  assert.equal((await cf.accounts.tokens.verify({ account_id })).status, 'active');
  await rejects(client({ apiToken: 'wrong' }).user.tokens.verify(), Cloudflare.AuthenticationError, 10000);
  await rejects(cf.d1.database.create({ account_id: 'f'.repeat(32), name: 'x' }), Cloudflare.PermissionDeniedError, 7403);
  await rejects(cf.customHostnames.list({ zone_id: 'a'.repeat(32) }).then((p) => p), Cloudflare.NotFoundError, 7003);
  await rejects(cf.get('/accounts/nope/nothing/here'), Cloudflare.NotFoundError, 7003);
});

let dbId;
test('D1: create, paginate, filter, get, duplicate', async () => {
  const db = await cf.d1.database.create({ account_id, name: 'fid-main', primary_location_hint: 'weur' });
  assert.match(db.uuid, /^[0-9a-f-]{36}$/);
  assert.equal(db.name, 'fid-main');
  dbId = db.uuid;
  for (let i = 0; i < 24; i++) await cf.d1.database.create({ account_id, name: `fid-page-${i}` });
  // The SDK's page iterator asks for page+1 until a page is empty: it must stop.
  const listed = await all(cf.d1.database.list({ account_id, per_page: 10 }));
  assert.equal(listed.length, 25);
  assert.equal(new Set(listed.map((d) => d.uuid)).size, 25);
  const filtered = await all(cf.d1.database.list({ account_id, name: 'fid-main' }));
  assert.deepEqual(filtered.map((d) => d.uuid), [dbId]);
  const dup = await rejects(cf.d1.database.create({ account_id, name: 'fid-main' }), Cloudflare.BadRequestError, 7502);
  assert.equal(dup.status, 400);
  await rejects(cf.d1.database.create({ account_id, name: 'Not A Name' }), Cloudflare.BadRequestError);
});

test('D1: multi-statement query, params, batch, raw, errors', async () => {
  const migration = `-- 0001_init.sql
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, created INTEGER);
CREATE INDEX users_created ON users (created);
INSERT INTO users (email, created) VALUES ('a@x.test', 1), ('b@x.test', 2);`;
  const results = await all(cf.d1.database.query(dbId, { account_id, sql: migration }));
  assert.equal(results.length, 3);
  assert.ok(results.every((r) => r.success));
  assert.equal(results[2].meta.changes, 2);
  assert.equal(results[2].meta.last_row_id, 2);

  const [sel] = await all(cf.d1.database.query(dbId, { account_id, sql: 'SELECT id, email FROM users WHERE email = ?', params: ['b@x.test'] }));
  assert.deepEqual(sel.results, [{ id: 2, email: 'b@x.test' }]);
  assert.equal(sel.meta.rows_read, 1);

  const batch = await all(cf.d1.database.query(dbId, {
    account_id,
    batch: [
      { sql: 'INSERT INTO users (email, created) VALUES (?, ?)', params: ['c@x.test', '3'] },
      { sql: 'SELECT count(*) AS n FROM users' },
    ],
  }));
  assert.equal(batch.length, 2);
  assert.equal(batch[1].results[0].n, 3);

  const [raw] = await all(cf.d1.database.raw(dbId, { account_id, sql: 'SELECT email FROM users ORDER BY id' }));
  assert.deepEqual(raw.results.columns, ['email']);
  assert.deepEqual(raw.results.rows, [['a@x.test'], ['b@x.test'], ['c@x.test']]);

  const e = await rejects(cf.d1.database.query(dbId, { account_id, sql: 'SELECT * FROM nope' }), Cloudflare.BadRequestError, 7500);
  assert.match(e.errors[0].message, /no such table: nope/);
  // A failing request changes nothing (D1 runs a request as one unit).
  await rejects(cf.d1.database.query(dbId, { account_id, sql: "INSERT INTO users (email) VALUES ('d@x.test'); INSERT INTO users (email) VALUES ('a@x.test')" }), Cloudflare.BadRequestError, 7500);
  const [count] = await all(cf.d1.database.query(dbId, { account_id, sql: 'SELECT count(*) AS n FROM users' }));
  assert.equal(count.results[0].n, 3);

  const got = await cf.d1.database.get(dbId, { account_id });
  assert.equal(got.num_tables, 1);
  assert.ok(got.file_size > 0);
  const state = await control('GET', 'state');
  assert.deepEqual(state.d1.find((d) => d.uuid === dbId).tables, ['users']);
});

test('D1: delete', async () => {
  const tmp = await cf.d1.database.create({ account_id, name: 'fid-delete-me' });
  await cf.d1.database.delete(tmp.uuid, { account_id });
  await rejects(cf.d1.database.get(tmp.uuid, { account_id }), Cloudflare.NotFoundError);
});

let kvId;
test('KV namespaces: create, list, duplicate, get, delete', async () => {
  const ns = await cf.kv.namespaces.create({ account_id, title: 'fid-sessions' });
  kvId = ns.id;
  assert.equal(ns.title, 'fid-sessions');
  for (let i = 0; i < 4; i++) await cf.kv.namespaces.create({ account_id, title: `fid-kv-${i}` });
  const listed = await all(cf.kv.namespaces.list({ account_id, per_page: 2, order: 'title', direction: 'asc' }));
  assert.equal(listed.length, 5);
  assert.deepEqual(listed.map((n) => n.title), [...listed.map((n) => n.title)].sort());
  await rejects(cf.kv.namespaces.create({ account_id, title: 'fid-sessions' }), Cloudflare.BadRequestError, 10014);
  assert.equal((await cf.kv.namespaces.get(kvId, { account_id })).title, 'fid-sessions');
  await cf.kv.namespaces.delete(listed.find((n) => n.title === 'fid-kv-0').id, { account_id });
  assert.equal((await all(cf.kv.namespaces.list({ account_id }))).length, 4);
});

test('R2 buckets: create, list, get, duplicate, invalid name', async () => {
  const b = await cf.r2.buckets.create({ account_id, name: 'fid-assets', locationHint: 'weur' });
  assert.equal(b.name, 'fid-assets');
  assert.equal(b.location, 'weur');
  await cf.r2.buckets.create({ account_id, name: 'fid-backups' });
  const list = await cf.r2.buckets.list({ account_id });
  assert.deepEqual(list.buckets.map((x) => x.name), ['fid-assets', 'fid-backups']);
  const paged = await cf.r2.buckets.list({ account_id, per_page: 1 });
  assert.equal(paged.buckets.length, 1);
  assert.equal((await cf.r2.buckets.get('fid-assets', { account_id })).name, 'fid-assets');
  await rejects(cf.r2.buckets.create({ account_id, name: 'fid-assets' }), Cloudflare.ConflictError, 10004);
  await rejects(cf.r2.buckets.create({ account_id, name: 'No_Such' }), Cloudflare.BadRequestError, 10005);
  await cf.r2.buckets.delete('fid-backups', { account_id });
  await rejects(cf.r2.buckets.get('fid-backups', { account_id }), Cloudflare.NotFoundError);
});

/** A Worker upload as wrangler sends it: a JSON `metadata` part plus one part per module. */
function workerForm(metadata, extra = []) {
  const form = new FormData();
  form.append('metadata', new Blob([JSON.stringify(metadata)], { type: 'application/json' }), 'metadata.json');
  form.append('index.js', new File(['import wasm from "./app.wasm";\nexport default { fetch() { return new Response("ok"); } };'], 'index.js', { type: 'application/javascript+module' }));
  for (const [name, bytes, type] of extra) form.append(name, new File([bytes], name, { type }));
  return form;
}
const scriptPath = (name) => `/accounts/${account_id}/workers/scripts/${name}`;

test('Workers: the SDK 7.3 scripts.update body is refused as Cloudflare refuses it', async () => {
  // cloudflare@7.x sends bracket-flattened metadata under Content-Type
  // application/javascript (cloudflare-typescript#2799); Cloudflare parses that body
  // as a script and fails with 10021. The sandbox does the same.
  await rejects(cf.workers.scripts.update('fid-sdk-shape', {
    account_id,
    metadata: { main_module: 'index.js', bindings: [{ type: 'd1', name: 'DB', id: dbId }, { type: 'plain_text', name: 'PLATFORM_ID', text: 'x' }] },
    files: [new File(['export default {}'], 'index.js', { type: 'application/javascript+module' })],
  }), Cloudflare.BadRequestError, 10021);
});

test('Workers: multipart upload with bindings and a wasm module, settings, list', async () => {
  const wasm = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
  wasm.set([0x00, 0x61, 0x73, 0x6d], 0);
  const metadata = {
    main_module: 'index.js',
    compatibility_date: '2025-06-01',
    bindings: [
      { type: 'd1', name: 'DB', id: dbId },
      { type: 'd1', name: 'DB2', database_id: dbId },
      { type: 'kv_namespace', name: 'SESSIONS', namespace_id: kvId },
      { type: 'r2_bucket', name: 'ASSETS', bucket_name: 'fid-assets' },
      { type: 'plain_text', name: 'PLATFORM_ID', text: 'x' },
    ],
  };
  const res = await cf.put(scriptPath('fid-registry'), { body: workerForm(metadata, [['app.wasm', wasm, 'application/wasm']]) });
  assert.equal(res.success, true);
  for (const k of ['id', 'etag', 'created_on', 'modified_on', 'usage_model', 'handlers', 'startup_time_ms']) assert.ok(k in res.result, k);
  assert.equal(res.result.id, 'fid-registry');
  assert.deepEqual(res.result.handlers, ['fetch']);

  const settings = await cf.workers.scripts.scriptAndVersionSettings.get('fid-registry', { account_id });
  assert.deepEqual(settings.bindings.map((b) => b.name).sort(), ['ASSETS', 'DB', 'DB2', 'PLATFORM_ID', 'SESSIONS']);
  assert.equal(settings.compatibility_date, '2025-06-01');
  const listed = await all(cf.workers.scripts.list({ account_id }));
  assert.deepEqual(listed.map((s) => s.id), ['fid-registry']);

  const state = await control('GET', 'state');
  const s = state.scripts.find((x) => x.name === 'fid-registry');
  assert.deepEqual(s.modules.map((m) => [m.name, m.size]), [['index.js', s.modules[0].size], ['app.wasm', wasm.length]]);
  assert.equal(s.modules[1].content_type, 'application/wasm');

  // A D1 binding to a database that does not exist is refused.
  const bad = await cf.put(scriptPath('fid-bad'), { body: workerForm({ main_module: 'index.js', bindings: [{ type: 'd1', name: 'DB', id: '00000000-0000-4000-8000-000000000000' }] }) }).catch((e) => e);
  assert.ok(bad instanceof Cloudflare.BadRequestError);
  assert.equal(bad.errors[0].code, 10021);
  // main_module must name a part of the upload.
  const missing = await cf.put(scriptPath('fid-bad'), { body: workerForm({ main_module: 'worker.js' }) }).catch((e) => e);
  assert.equal(missing.errors?.[0]?.code, 10021);
});

test('Workers secrets: put, list (no values), get, delete, unknown script', async () => {
  const put = await cf.workers.scripts.secrets.update('fid-registry', { account_id, name: 'API_KEY', text: 's3cret-value', type: 'secret_text' });
  assert.deepEqual({ name: put.name, type: put.type }, { name: 'API_KEY', type: 'secret_text' });
  await cf.workers.scripts.secrets.update('fid-registry', { account_id, name: 'API_KEY', text: 'rotated-value', type: 'secret_text' });
  await cf.workers.scripts.secrets.update('fid-registry', { account_id, name: 'OTHER', text: 'v2', type: 'secret_text' });
  const list = await all(cf.workers.scripts.secrets.list('fid-registry', { account_id }));
  assert.deepEqual(list, [{ name: 'API_KEY', type: 'secret_text' }, { name: 'OTHER', type: 'secret_text' }]);
  assert.equal((await cf.workers.scripts.secrets.get('API_KEY', { account_id, script_name: 'fid-registry' })).name, 'API_KEY');
  await cf.workers.scripts.secrets.delete('OTHER', { account_id, script_name: 'fid-registry' });
  await rejects(cf.workers.scripts.secrets.update('fid-nope', { account_id, name: 'X', text: 'y', type: 'secret_text' }), Cloudflare.NotFoundError, 10007);
  const stateText = JSON.stringify(await control('GET', 'state'));
  assert.ok(!stateText.includes('rotated-value') && !stateText.includes('s3cret-value'), 'secret values never leave the sandbox');
  assert.deepEqual((await control('GET', 'state')).scripts.find((s) => s.name === 'fid-registry').secrets, ['API_KEY']);

  // A re-upload keeps secrets only when keep_bindings names their type (as wrangler sends).
  await cf.put(scriptPath('fid-registry'), { body: workerForm({ main_module: 'index.js', keep_bindings: ['secret_text'] }) });
  assert.deepEqual((await all(cf.workers.scripts.secrets.list('fid-registry', { account_id }))).map((s) => s.name), ['API_KEY']);
  await cf.put(scriptPath('fid-registry'), { body: workerForm({ main_module: 'index.js' }) });
  assert.deepEqual(await all(cf.workers.scripts.secrets.list('fid-registry', { account_id })), []);
});

test('custom hostnames: create pending, poll to active, list, duplicate, edit, delete', async () => {
  await control('POST', 'config', { sslPollsToActive: 2 });
  const h = await cf.customHostnames.create({ zone_id, hostname: 'app.customer-one.test', ssl: { method: 'txt', type: 'dv' }, custom_metadata: { platform: 'p1' } });
  assert.equal(h.status, 'pending');
  assert.equal(h.ssl.status, 'pending_validation');
  assert.ok(h.ssl.validation_records[0].txt_name.startsWith('_acme-challenge.'));
  assert.ok(h.ownership_verification.name);
  const seen = [];
  for (let i = 0; i < 5; i++) {
    const g = await cf.customHostnames.get(h.id, { zone_id });
    seen.push(`${g.status}/${g.ssl.status}`);
    if (g.status === 'active' && g.ssl.status === 'active') break;
  }
  assert.deepEqual(seen, ['pending/pending_validation', 'active/active']);
  await cf.customHostnames.create({ zone_id, hostname: 'www.customer-two.test', ssl: { method: 'http', type: 'dv' } });
  const byName = await all(cf.customHostnames.list({ zone_id, hostname: 'app.customer-one.test' }));
  assert.deepEqual(byName.map((x) => x.id), [h.id]);
  assert.equal((await all(cf.customHostnames.list({ zone_id, per_page: 1 }))).length, 2);
  await rejects(cf.customHostnames.create({ zone_id, hostname: 'app.customer-one.test', ssl: { method: 'http', type: 'dv' } }), Cloudflare.ConflictError, 1406);
  const edited = await cf.customHostnames.edit(h.id, { zone_id, custom_metadata: { platform: 'p2' } });
  assert.deepEqual(edited.custom_metadata, { platform: 'p2' });
  const del = await cf.customHostnames.delete(h.id, { zone_id });
  assert.equal(del.id, h.id);
  await rejects(cf.customHostnames.get(h.id, { zone_id }), Cloudflare.NotFoundError);
});

test('Workers custom domains and routes', async () => {
  const d = await cf.workers.domains.update({ account_id, hostname: `api.${ZONE_NAME}`, service: 'fid-registry', zone_id });
  assert.equal(d.hostname, `api.${ZONE_NAME}`);
  assert.equal(d.zone_name, ZONE_NAME);
  const again = await cf.workers.domains.update({ account_id, hostname: `api.${ZONE_NAME}`, service: 'fid-registry', zone_name: ZONE_NAME });
  assert.equal(again.id, d.id, 'PUT is an upsert by hostname');
  assert.deepEqual((await all(cf.workers.domains.list({ account_id, hostname: `api.${ZONE_NAME}` }))).map((x) => x.id), [d.id]);
  assert.equal((await cf.workers.domains.get(d.id, { account_id })).service, 'fid-registry');
  await rejects(cf.workers.domains.update({ account_id, hostname: `x.${ZONE_NAME}`, service: 'fid-nope', zone_id }), Cloudflare.NotFoundError, 10007);
  await cf.workers.domains.delete(d.id, { account_id });
  assert.deepEqual(await all(cf.workers.domains.list({ account_id })), []);

  const r = await cf.workers.routes.create({ zone_id, pattern: `${ZONE_NAME}/api/*`, script: 'fid-registry' });
  assert.ok(r.id);
  assert.equal((await all(cf.workers.routes.list({ zone_id }))).length, 1);
  await rejects(cf.workers.routes.create({ zone_id, pattern: `${ZONE_NAME}/api/*`, script: 'fid-registry' }), Cloudflare.ConflictError, 10020);
  await cf.workers.routes.delete(r.id, { zone_id });
  assert.equal((await all(cf.workers.routes.list({ zone_id }))).length, 0);
});

test('Workers: delete script', async () => {
  await cf.put(scriptPath('fid-tmp'), { body: workerForm({ main_module: 'index.js' }) });
  await cf.workers.scripts.delete('fid-tmp', { account_id, force: true });
  await rejects(cf.workers.scripts.delete('fid-tmp', { account_id }), Cloudflare.NotFoundError, 10007);
});

test('GraphQL Analytics: the billing usage query through the official client', async () => {
  await control('DELETE', 'usage');
  const query = `query Usage($account: string!, $start: Date!, $end: Date!, $scripts: [string!], $databases: [string!], $buckets: [string!], $namespaces: [string!]) {
  viewer {
    accounts(filter: {accountTag: $account}) {
      workersInvocationsAdaptive(limit: 10000, filter: {date_geq: $start, date_leq: $end, scriptName_in: $scripts}) { sum { requests } dimensions { scriptName } }
      d1AnalyticsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, databaseId_in: $databases}) { sum { rowsRead rowsWritten } dimensions { databaseId } }
      r2OperationsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, bucketName_in: $buckets}) { sum { requests } dimensions { bucketName } }
      kvOperationsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, namespaceId_in: $namespaces}) { sum { requests } dimensions { namespaceId } }
    }
  }
}`;
  // Resources need not exist: metering does not depend on what was provisioned.
  const variables = {
    account: account_id, start: '2024-03-01', end: '2024-03-03',
    scripts: ['fid-usage-a', 'fid-usage-b'], databases: ['00000000-0000-4000-8000-000000000001'],
    buckets: ['fid-usage-bucket'], namespaces: ['f'.repeat(32)],
  };
  const gql = (vars, c = cf) => c.post('/graphql', { body: { query, variables: vars } });
  const res = await gql(variables);
  assert.equal(res.errors, null);
  const acct = res.data.viewer.accounts[0];
  assert.deepEqual(Object.keys(acct).sort(), ['d1AnalyticsAdaptiveGroups', 'kvOperationsAdaptiveGroups', 'r2OperationsAdaptiveGroups', 'workersInvocationsAdaptive']);
  const workers = acct.workersInvocationsAdaptive;
  assert.deepEqual(workers.map((g) => g.dimensions), [{ scriptName: 'fid-usage-a' }, { scriptName: 'fid-usage-b' }]);
  for (const g of workers) assert.ok(Number.isInteger(g.sum.requests) && g.sum.requests >= 3 * 1000 && g.sum.requests <= 3 * 50000);
  const [d1] = acct.d1AnalyticsAdaptiveGroups;
  assert.equal(d1.dimensions.databaseId, variables.databases[0]);
  assert.ok(d1.sum.rowsRead >= 3 * 10000 && d1.sum.rowsRead <= 3 * 500000);
  assert.ok(d1.sum.rowsWritten >= 3 * 1000 && d1.sum.rowsWritten <= 3 * 50000);
  assert.ok(acct.r2OperationsAdaptiveGroups[0].sum.requests >= 300);
  assert.ok(acct.kvOperationsAdaptiveGroups[0].sum.requests <= 30000);
  assert.deepEqual((await gql(variables)).data, res.data, 'deterministic');

  // An override pushes one script over for one day.
  const set = await control('POST', 'usage', { resource: 'fid-usage-a', metric: 'requests', date: '2024-03-02', value: 20000000 });
  assert.equal(set.override.value, 20000000);
  const day = await gql({ ...variables, start: '2024-03-02', end: '2024-03-02', scripts: ['fid-usage-a'] });
  assert.deepEqual(day.data.viewer.accounts[0].workersInvocationsAdaptive, [{ sum: { requests: 20000000 } , dimensions: { scriptName: 'fid-usage-a' } }]);

  // GraphQL errors are HTTP 200 with data: null; auth is the v4 API's.
  const other = await gql({ ...variables, account: 'f'.repeat(32) });
  assert.equal(other.data, null);
  assert.equal(other.errors[0].message, 'not authorized for that account');
  assert.equal(other.errors[0].extensions.code, 'authz');
  assert.deepEqual(other.errors[0].path, ['viewer', 'accounts', '0', 'workersInvocationsAdaptive']);
  const reversed = await gql({ ...variables, start: '2024-03-03', end: '2024-03-01' });
  assert.equal(reversed.data, null);
  assert.ok(reversed.errors.length >= 1);
  const wide = await gql({ ...variables, end: '2024-04-30' });
  assert.equal(wide.errors[0].extensions.code, 'quota');
  const { start: _omitted, ...missing } = variables;
  assert.match((await gql(missing)).errors[0].message, /\$start/);
  await rejects(gql(variables, client({ apiToken: 'wrong' })), Cloudflare.AuthenticationError, 10000);
  await armFault({ pathPrefix: '/cloudflare/client/v4/graphql', status: 503, times: 1 });
  await rejects(gql(variables), Cloudflare.InternalServerError, 10001);

  const usage = await control('GET', 'usage');
  assert.equal(usage.queries, 3);
  assert.equal(usage.refused, 4);
  assert.equal(usage.overrides.length, 1);
  await control('DELETE', 'usage');
});

test('rate limit: 429 past the limit with retry-after, every call blocked', async () => {
  await control('POST', 'config', { rateLimit: 3, rateWindowMs: 60000, blockMs: 2500 });
  for (let i = 0; i < 3; i++) await cf.user.tokens.verify();
  const e = await rejects(cf.user.tokens.verify(), Cloudflare.RateLimitError, 971);
  assert.equal(e.status, 429);
  assert.equal(e.headers.get('retry-after'), '3');
  await rejects(cf.d1.database.list({ account_id }).then((p) => p), Cloudflare.RateLimitError);
  const stats = await control('GET', 'stats');
  assert.equal(stats.limitExceeded, true);
  assert.ok(stats.maxInWindow >= 3);
  assert.ok(stats.rateLimited >= 2);
  // The SDK, left to retry, waits out retry-after and gets through.
  await control('POST', 'config', { rateLimit: 1, rateWindowMs: 60000, blockMs: 1000 });
  await cf.user.tokens.verify();
  const patient = client({ maxRetries: 2 });
  const started = Date.now();
  assert.equal((await patient.user.tokens.verify()).status, 'active');
  assert.ok(Date.now() - started >= 900, 'the SDK obeyed retry-after');
  await control('POST', 'config', { rateLimit: 1200, rateWindowMs: 300000, blockMs: 300000 });
});

test('faults and chaos answer in the envelope; only 5xx-after-write changes state', async () => {
  await armFault({ pathPrefix: `/cloudflare/client/v4/accounts/${account_id}/storage/kv`, status: 503, times: 1 });
  const f = await rejects(cf.kv.namespaces.create({ account_id, title: 'fid-fault' }), Cloudflare.InternalServerError, 10001);
  assert.equal(f.status, 503);
  await armFault({ pathPrefix: '/cloudflare/client/v4/user', status: 429, times: 1 });
  const rl = await rejects(cf.user.tokens.verify(), Cloudflare.RateLimitError);
  assert.ok(rl.headers.get('retry-after'));

  await control('POST', 'chaos', { rate: 1, kinds: ['5xx'], seed: 1 });
  await rejects(cf.kv.namespaces.create({ account_id, title: 'fid-chaos-plain' }), Cloudflare.InternalServerError);
  await control('POST', 'chaos', { rate: 1, kinds: ['5xx-after-write'], seed: 1 });
  await rejects(cf.kv.namespaces.create({ account_id, title: 'fid-chaos-written' }), Cloudflare.InternalServerError);
  await control('POST', 'chaos', { rate: 1, kinds: ['timeout'], timeoutMs: 400 });
  await rejects(client({ timeout: 100 }).kv.namespaces.create({ account_id, title: 'fid-chaos-timeout' }), Cloudflare.APIConnectionTimeoutError);
  await control('DELETE', 'chaos');
  const titles = (await all(cf.kv.namespaces.list({ account_id }))).map((n) => n.title);
  assert.ok(titles.includes('fid-chaos-written'), 'the 5xx-after-write call did write');
  assert.ok(!titles.includes('fid-chaos-plain') && !titles.includes('fid-fault') && !titles.includes('fid-chaos-timeout'));
  // A rate of 0.3 fails roughly that share of calls, and the SDK's retries ride it out.
  await new Promise((r) => setTimeout(r, 450)); // let the timed-out call finish server-side
  await control('POST', 'chaos', { rate: 0.3, kinds: ['5xx', '429'], seed: 42 });
  const retrying = client({ maxRetries: 6 });
  for (let i = 0; i < 10; i++) await retrying.user.tokens.verify();
  const chaos = await control('GET', 'chaos');
  await control('DELETE', 'chaos');
  assert.ok(chaos.chaos.injected > 0);
  const stats = await control('GET', 'stats');
  assert.ok(stats.chaosInjected >= 4 && stats.faultsInjected >= 2);
});

test('every answer matches the operation schema in the OpenAPI subset', () => {
  // Expected exception (cloudflare-api.md §4): the R2 list answers the newer
  // {buckets: [...]} shape that the SDK and wrangler read, which the 2024 schema
  // cannot express.
  const expectedToFail = new Set(['GET /accounts/{account_id}/r2/buckets']);
  // Known, deliberate differences from the 2024 schema (newer behaviour wins):
  const tolerated = [
    // Cloudflare's real rate-limit answer is code 971 ("Please wait and consider
    // throttling your request speed", e.g. workers-sdk#10025); the schema says >= 1000.
    (ex, v) => ex.status === 429 && v === '/errors/0/code must be >= 1000',
    // [newer] usage_model "standard" (Workers Standard pricing), not in the 2024 enum.
    (ex, v) => v === '/result/usage_model must match pattern "^(bundled|unbound)$"',
  ];
  const checked = new Map();
  const unexpected = [];
  const failedAsExpected = new Set();
  let toleratedCount = 0;
  for (const ex of exchanges) {
    const template = templateOf(ex.method, ex.path);
    if (!template) continue; // not in the 2024 subset: secrets, routes, settings, tokens
    if (ex.status >= 500) continue; // the schema documents only 200 and 4XX
    const key = `${ex.method} ${template}`;
    checked.set(`${key} ${ex.status}`, (checked.get(`${key} ${ex.status}`) || 0) + 1);
    let v = violations(ex, template);
    if (v) {
      const left = v.filter((m) => !tolerated.some((t) => t(ex, m)));
      if (left.length < v.length) toleratedCount++;
      v = left.length ? left : null;
    }
    if (v && expectedToFail.has(key) && ex.status === 200) failedAsExpected.add(key);
    else if (v) unexpected.push(`${key} ${ex.status}: ${v.join('; ')}\n  ${ex.body.slice(0, 300)}`);
  }
  console.log(`checked ${[...checked.values()].reduce((a, b) => a + b, 0)} answers to subset operations over ${checked.size} operation/status pairs (${toleratedCount} with tolerated newer differences, ${failedAsExpected.size} expected R2 list flag)`);
  assert.deepEqual(unexpected, []);
  assert.deepEqual([...failedAsExpected], [...expectedToFail], 'the R2 list shape is flagged as documented');
  for (const op of [
    'POST /accounts/{account_id}/d1/database 200', 'GET /accounts/{account_id}/d1/database 200',
    'POST /accounts/{account_id}/d1/database/{database_id}/query 200', 'POST /accounts/{account_id}/d1/database/{database_id}/raw 200',
    'POST /accounts/{account_id}/d1/database 400', 'PUT /accounts/{account_id}/workers/scripts/{script_name} 200',
    'POST /zones/{zone_id}/custom_hostnames 200', 'DELETE /zones/{zone_id}/custom_hostnames/{custom_hostname_id} 200',
    'PUT /accounts/{account_id}/workers/domains 200', 'POST /accounts/{account_id}/storage/kv/namespaces 200',
  ]) assert.ok(checked.has(op), `checked ${op}`);
});
