// Starts the sandbox binary, records every HTTP exchange the official client makes,
// and validates recorded answers against Cloudflare's OpenAPI subset.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import Ajv from 'ajv';
import SwaggerParser from '@apidevtools/swagger-parser';
import Cloudflare from 'cloudflare';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PORT = Number(process.env.SANDBOX_FIDELITY_PORT || 18931);
if (PORT < 18900 || PORT > 18999) throw new Error('SANDBOX_FIDELITY_PORT must be in 18900-18999');
export const ORIGIN = `http://127.0.0.1:${PORT}`;
export const BASE_URL = `${ORIGIN}/cloudflare/client/v4`;
export const TOKEN = 'cf_fidelity_token';
export const ACCOUNT = '0123456789abcdef0123456789abcdef';
export const ZONE = 'fedcba9876543210fedcba9876543210';
export const ZONE_NAME = 'nno.example';

/** Every exchange: {method, path (below the base URL), status, headers, body text}. */
export const exchanges = [];

async function recordingFetch(url, init = {}) {
  const res = await fetch(url, init);
  const body = await res.clone().text();
  const u = new URL(typeof url === 'string' ? url : url.url);
  exchanges.push({
    method: (init.method || 'GET').toUpperCase(),
    path: u.pathname.replace('/cloudflare/client/v4', ''),
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    body,
  });
  return res;
}

export function client(opts = {}) {
  return new Cloudflare({ apiToken: TOKEN, baseURL: BASE_URL, maxRetries: 0, fetch: recordingFetch, ...opts });
}

let child;
export async function startSandbox() {
  const bin = process.env.SANDBOX_BIN || path.resolve(here, '../../../target/debug/sandbox');
  if (!fs.existsSync(bin)) throw new Error(`sandbox binary not found at ${bin} (cargo build -p sandbox, or set SANDBOX_BIN)`);
  child = spawn(bin, ['--port', String(PORT)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      SANDBOX_CLOUDFLARE_API_TOKEN: TOKEN,
      SANDBOX_CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
      SANDBOX_CLOUDFLARE_ZONE_ID: ZONE,
      SANDBOX_CLOUDFLARE_ZONE_NAME: ZONE_NAME,
    },
  });
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${ORIGIN}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sandbox did not answer on ${ORIGIN}/health`);
}

export function stopSandbox() {
  if (child) child.kill();
}

/** The sandbox's test controls under /_sandbox/cloudflare/. */
export async function control(method, what, body) {
  const res = await fetch(`${ORIGIN}/_sandbox/cloudflare/${what}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

export async function armFault(fault) {
  await fetch(`${ORIGIN}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
}

let spec;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map();

export async function loadSpec() {
  const file = path.resolve(here, 'cloudflare-subset.mock.json');
  // Fails if the committed copy is not a valid, self-contained OpenAPI document.
  await SwaggerParser.validate(JSON.parse(fs.readFileSync(file, 'utf8')));
  spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  return spec;
}

const deref = (n) => {
  while (n && n.$ref) n = n.$ref.slice(2).split('/').reduce((o, k) => o[k], spec);
  return n;
};

/** The spec template a concrete path matches, e.g. /accounts/{account_id}/d1/database. */
export function templateOf(method, p) {
  const segs = p.replace(/\/$/, '').split('/');
  for (const [t, ops] of Object.entries(spec.paths)) {
    if (!ops[method.toLowerCase()]) continue;
    const ts = t.split('/');
    if (ts.length === segs.length && ts.every((s, i) => s.startsWith('{') || s === segs[i])) return t;
  }
  return null;
}

/**
 * The schema an answer must match. [schema bug] Several 4XX schemas are
 * allOf [success envelope, failure envelope], which no body can satisfy
 * (success: true and false at once); for those only the failure member applies.
 */
function schemaFor(template, method, status) {
  const responses = spec.paths[template][method.toLowerCase()].responses;
  const r = deref(responses[status] || responses[status[0] + 'XX'] || responses.default);
  if (!r) return undefined;
  // A response the spec declares without a JSON schema (e.g. Workers script delete):
  // nothing to check. The sandbox answers an envelope there, as wrangler expects.
  let schema = r.content?.['application/json']?.schema;
  if (!schema) return null;
  if (schema && status[0] === '4' && Array.isArray(schema.allOf)) {
    const failure = schema.allOf.find((s) => s.$ref?.endsWith('api-response-common-failure'));
    if (failure) schema = failure;
  }
  return schema;
}

/** Validates one exchange; returns null when valid, else the violations. */
export function violations(ex, template) {
  const status = String(ex.status);
  const schema = schemaFor(template, ex.method, status);
  if (schema === undefined) return [`no response ${status} in the spec`];
  if (schema === null) return null;
  const id = `${ex.method} ${template} ${status}`;
  if (!compiled.has(id)) compiled.set(id, ajv.compile({ ...schema, components: spec.components }));
  const validate = compiled.get(id);
  let body;
  try {
    body = JSON.parse(ex.body);
  } catch {
    return ['body is not JSON'];
  }
  return validate(body) ? null : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
}
