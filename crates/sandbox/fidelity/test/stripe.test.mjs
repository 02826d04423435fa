// Fidelity of the sandbox's Stripe API stand-in, driven by Stripe's official npm client
// (stripe@23.1.0): wire format, errors, idempotency, lists, subscriptions with
// prorations against invoices.createPreview, test clocks, dunning, meter events, and
// webhooks verified with stripe.webhooks.constructEventAsync.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import qs from 'qs';
import Ajv from 'ajv';

const here = path.dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.SANDBOX_STRIPE_FIDELITY_PORT || 18933);
if (PORT < 18900 || PORT > 18999) throw new Error('SANDBOX_STRIPE_FIDELITY_PORT must be in 18900-18999');
const ORIGIN = `http://127.0.0.1:${PORT}`;
const KEY = 'sk_test_fidelity_key';
const WH_SECRET = 'whsec_fidelity_secret';
const DAY = 86400;
// 2025-01-15 00:00:00 UTC: a 31-day January period.
const T0 = Math.floor(Date.UTC(2025, 0, 15) / 1000);
const T1 = Math.floor(Date.UTC(2025, 1, 15) / 1000);

const stripe = new Stripe(KEY, { host: '127.0.0.1', port: PORT, protocol: 'http', maxNetworkRetries: 0 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The webhook receiver: raw bodies and signatures, optionally failing the next N.
const received = [];
let failNext = 0;
let hookServer;
let child;

async function until(fn, what, ms = 8000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(40);
  }
}

async function control(method, p, body) {
  const res = await fetch(`${ORIGIN}/_sandbox/stripe/${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function rejects(promise, ErrorClass, check = {}) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ErrorClass, `expected ${ErrorClass.name}, got ${e?.constructor?.name}: ${e?.message}`);
    for (const [k, v] of Object.entries(check)) assert.equal(e[k], v, `${k}: ${e.message}`);
    assert.match(e.requestId ?? '', /^req_/);
    return e;
  }
  assert.fail(`expected ${ErrorClass.name}`);
}

async function advance(clock, t) {
  let c = await stripe.testHelpers.testClocks.advance(clock, { frozen_time: t });
  assert.equal(c.status, 'advancing');
  while (c.status !== 'ready') {
    await sleep(30);
    c = await stripe.testHelpers.testClocks.retrieve(clock);
  }
  assert.equal(c.frozen_time, t);
  return c;
}

async function clockCustomer(frozen = T0, extra = {}) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozen, name: 'fidelity' });
  const customer = await stripe.customers.create({ email: 'clock@example.com', test_clock: clock.id, ...extra });
  return { clock, customer };
}

before(async () => {
  hookServer = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry = { body, signature: req.headers['stripe-signature'], contentType: req.headers['content-type'], url: req.url };
      if (failNext > 0) {
        failNext--;
        entry.failed = true;
        received.push(entry);
        res.writeHead(500).end('no');
        return;
      }
      received.push(entry);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise((r) => hookServer.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${hookServer.address().port}/api/v1/billing/webhooks/stripe`;
  const bin = process.env.SANDBOX_BIN || path.resolve(here, '../../../../target/debug/sandbox');
  if (!fs.existsSync(bin)) throw new Error(`sandbox binary not found at ${bin}`);
  child = spawn(bin, ['--port', String(PORT)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, SANDBOX_STRIPE_SECRET_KEY: KEY, SANDBOX_STRIPE_WEBHOOK_URL: hookUrl, SANDBOX_STRIPE_WEBHOOK_SECRET: WH_SECRET },
  });
  await until(async () => {
    try {
      return (await fetch(`${ORIGIN}/health`)).ok;
    } catch {
      return false;
    }
  }, 'the sandbox to start', 15000);
});

after(async () => {
  child?.kill();
  await new Promise((r) => hookServer?.close(r));
});

test('auth and error classes', async () => {
  const bad = new Stripe('sk_test_wrong', { host: '127.0.0.1', port: PORT, protocol: 'http', maxNetworkRetries: 0 });
  await rejects(bad.customers.list(), Stripe.errors.StripeAuthenticationError, { statusCode: 401 });
  const missing = await rejects(stripe.customers.retrieve('cus_nope'), Stripe.errors.StripeInvalidRequestError, {
    statusCode: 404, code: 'resource_missing', param: 'id',
  });
  assert.equal(missing.type, 'StripeInvalidRequestError');
  await rejects(stripe.subscriptions.create({ items: [{ price: 'price_nno_starter_monthly' }] }), Stripe.errors.StripeInvalidRequestError, {
    statusCode: 400, code: 'parameter_missing', param: 'customer',
  });
  await rejects(stripe.customers.create({ emali: 'x@example.com' }), Stripe.errors.StripeInvalidRequestError, {
    code: 'parameter_unknown', param: 'emali',
  });
  await rejects(stripe.prices.list({ lookup_key: 'x' }), Stripe.errors.StripeInvalidRequestError, { code: 'parameter_unknown' });
  await rejects(stripe.subscriptions.update('sub_nope', { proration_behavior: 'none' }), Stripe.errors.StripeInvalidRequestError, {
    code: 'resource_missing',
  });
  // /_sandbox/faults applies to /v1 paths, in Stripe's error shape.
  const armed = await fetch(`${ORIGIN}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ pathPrefix: '/v1/customers', status: 500, times: 1 }) });
  assert.equal(armed.status, 200);
  await rejects(stripe.customers.list(), Stripe.errors.StripeAPIError, { statusCode: 500 });
  assert.equal((await stripe.customers.list({ limit: 1 })).object, 'list');
  // Basic auth with the key as user name, and the Request-Id header.
  const res = await fetch(`${ORIGIN}/v1/customers?limit=1`, { headers: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('request-id'), /^req_/);
});

test('customers: idempotency, update, retrieve, delete', async () => {
  const a = await stripe.customers.create({ email: 'idem@example.com', metadata: { tenant_id: 't_1' } }, { idempotencyKey: 'fid-cus-1' });
  const b = await stripe.customers.create({ email: 'idem@example.com', metadata: { tenant_id: 't_1' } }, { idempotencyKey: 'fid-cus-1' });
  assert.equal(a.id, b.id);
  assert.match(a.id, /^cus_/);
  assert.equal(a.email, 'idem@example.com');
  assert.equal(a.test_clock, null);
  assert.equal(b.lastResponse.headers['idempotent-replayed'], 'true');
  await rejects(stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'fid-cus-1' }), Stripe.errors.StripeIdempotencyError, {
    type: 'StripeIdempotencyError',
  });
  // A validation failure is not saved: the key can be used again.
  await rejects(stripe.customers.create({ emali: 'x' }, { idempotencyKey: 'fid-cus-2' }), Stripe.errors.StripeInvalidRequestError);
  const c = await stripe.customers.create({ email: 'fixed@example.com' }, { idempotencyKey: 'fid-cus-2' });
  assert.equal(c.email, 'fixed@example.com');

  const u = await stripe.customers.update(a.id, { name: 'Acme', metadata: { tenant_id: '', plan: 'growth' } });
  assert.equal(u.name, 'Acme');
  assert.deepEqual(u.metadata, { plan: 'growth' });
  assert.equal((await stripe.customers.retrieve(a.id)).name, 'Acme');
  const found = await stripe.customers.list({ email: 'idem@example.com' });
  assert.deepEqual(found.data.map((x) => x.id), [a.id]);
  const del = await stripe.customers.del(c.id);
  assert.deepEqual({ id: del.id, deleted: del.deleted }, { id: c.id, deleted: true });
  const updated = await stripe.events.list({ type: 'customer.updated', limit: 1 });
  assert.equal(updated.data[0].data.previous_attributes.name, null);
  assert.deepEqual(updated.data[0].data.previous_attributes.metadata, { tenant_id: 't_1' });
});

test('lists: has_more, starting_after, ending_before, autoPagingToArray', async () => {
  const made = [];
  for (let i = 0; i < 25; i++) made.push((await stripe.customers.create({ email: `page-${i}@example.com`, metadata: { page: 'yes' } })).id);
  const first = await stripe.customers.list({ limit: 10 });
  assert.equal(first.object, 'list');
  assert.equal(first.url, '/v1/customers');
  assert.equal(first.data.length, 10);
  assert.equal(first.has_more, true);
  // Newest first.
  assert.equal(first.data[0].id, made[24]);
  const second = await stripe.customers.list({ limit: 10, starting_after: first.data[9].id });
  assert.equal(second.data[0].id, made[14]);
  const back = await stripe.customers.list({ limit: 10, ending_before: second.data[0].id });
  assert.deepEqual(back.data.map((c) => c.id), first.data.map((c) => c.id));
  const all = await stripe.customers.list({ limit: 7 }).autoPagingToArray({ limit: 1000 });
  const ids = new Set(all.map((c) => c.id));
  assert.equal(ids.size, all.length);
  for (const id of made) assert.ok(ids.has(id));
  await rejects(stripe.customers.list({ limit: 101 }), Stripe.errors.StripeInvalidRequestError, { param: 'limit' });
});

test('catalog: seeded prices by lookup key with product expanded; products and prices create', async () => {
  const keys = ['nno_starter_monthly', 'nno_growth_monthly', 'nno_scale_monthly'];
  const prices = await stripe.prices.list({ lookup_keys: keys, active: true, expand: ['data.product'] });
  const byKey = Object.fromEntries(prices.data.map((p) => [p.lookup_key, p]));
  assert.deepEqual(keys.map((k) => byKey[k]?.unit_amount), [4900, 19900, 79900]);
  assert.deepEqual(keys.map((k) => byKey[k]?.id), ['price_nno_starter_monthly', 'price_nno_growth_monthly', 'price_nno_scale_monthly']);
  assert.equal(byKey.nno_growth_monthly.product.name, 'NNO Growth');
  assert.equal(byKey.nno_growth_monthly.product.object, 'product');
  assert.equal(byKey.nno_growth_monthly.metadata.tier, 'growth');
  assert.deepEqual(byKey.nno_scale_monthly.recurring, { interval: 'month', interval_count: 1, meter: null, usage_type: 'licensed', trial_period_days: null });
  const one = await stripe.prices.retrieve('price_nno_starter_monthly');
  assert.equal(one.product, 'prod_nno_starter');
  const prod = await stripe.products.create({ name: 'Fidelity add-on', metadata: { k: 'v' } });
  assert.match(prod.id, /^prod_/);
  const price = await stripe.prices.create({ currency: 'usd', unit_amount: 500, product: prod.id, recurring: { interval: 'month' }, lookup_key: 'fid_addon' });
  assert.equal(price.type, 'recurring');
  assert.equal((await stripe.prices.list({ lookup_keys: ['fid_addon'] })).data[0].id, price.id);
  const meters = await stripe.billing.meters.list();
  assert.deepEqual(meters.data.map((m) => m.event_name).sort(), ['nno_d1_rows_read', 'nno_d1_rows_written', 'nno_kv_operations', 'nno_r2_operations', 'nno_worker_invocations']);
  assert.deepEqual(meters.data[0].customer_mapping, { event_payload_key: 'stripe_customer_id', type: 'by_id' });
  const made = await stripe.billing.meters.create({ display_name: 'Fid', event_name: 'fid_events', default_aggregation: { formula: 'sum' } });
  assert.equal(made.object, 'billing.meter');
});

test('meter events: identifiers deduplicate, unknown event names and bad values refused', async () => {
  const cus = await stripe.customers.create({ email: 'meter@example.com' });
  const ev = await stripe.billing.meterEvents.create({ event_name: 'nno_worker_invocations', payload: { stripe_customer_id: cus.id, value: '42' }, identifier: 'fid-mev-1' });
  assert.equal(ev.object, 'billing.meter_event');
  assert.equal(ev.identifier, 'fid-mev-1');
  assert.deepEqual(ev.payload, { stripe_customer_id: cus.id, value: '42' });
  await rejects(
    stripe.billing.meterEvents.create({ event_name: 'nno_worker_invocations', payload: { stripe_customer_id: cus.id, value: '42' }, identifier: 'fid-mev-1' }),
    Stripe.errors.StripeInvalidRequestError, { statusCode: 400, code: 'resource_already_exists', param: 'identifier' },
  );
  await rejects(stripe.billing.meterEvents.create({ event_name: 'nope', payload: { stripe_customer_id: cus.id, value: '1' } }), Stripe.errors.StripeInvalidRequestError, { statusCode: 400 });
  await rejects(stripe.billing.meterEvents.create({ event_name: 'nno_kv_operations', payload: { stripe_customer_id: cus.id, value: 'x' } }), Stripe.errors.StripeInvalidRequestError);
  await rejects(
    stripe.billing.meterEvents.create({ event_name: 'nno_kv_operations', payload: { stripe_customer_id: cus.id, value: '1' }, timestamp: Math.floor(Date.now() / 1000) - 40 * DAY }),
    Stripe.errors.StripeInvalidRequestError, { param: 'timestamp' },
  );
  const noId = await stripe.billing.meterEvents.create({ event_name: 'nno_d1_rows_read', payload: { stripe_customer_id: cus.id, value: '7' } });
  assert.ok(noId.identifier);
  const { body } = await control('GET', 'meter_events');
  const mine = body.data.filter((e) => e.payload.stripe_customer_id === cus.id);
  assert.deepEqual(mine.map((e) => e.payload.value), ['42', '7']);
});

test('subscription: create, retrieve, prorations equal to invoices.createPreview (create_prorations and always_invoice)', async () => {
  const { clock, customer } = await clockCustomer();
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: 'price_nno_starter_monthly' }], metadata: { tenant: 't1' }, expand: ['latest_invoice'] });
  assert.equal(sub.status, 'active');
  assert.equal(sub.test_clock, clock.id);
  const item = sub.items.data[0];
  assert.match(item.id, /^si_/);
  assert.equal(item.current_period_start, T0);
  assert.equal(item.current_period_end, T1);
  assert.equal(sub.latest_invoice.status, 'paid');
  assert.equal(sub.latest_invoice.amount_paid, 4900);
  assert.equal(sub.latest_invoice.parent.subscription_details.subscription, sub.id);
  assert.equal(sub.latest_invoice.billing_reason, 'subscription_create');
  assert.equal((await stripe.subscriptions.retrieve(sub.id)).metadata.tenant, 't1');
  assert.deepEqual((await stripe.subscriptions.list({ customer: customer.id })).data.map((s) => s.id), [sub.id]);

  // create_prorations: the preview's proration lines are the ones the update leaves pending.
  const at = T0 + 10 * DAY;
  const preview = await stripe.invoices.createPreview({
    customer: customer.id, subscription: sub.id,
    subscription_details: { items: [{ id: item.id, price: 'price_nno_growth_monthly' }], proration_behavior: 'create_prorations', proration_date: at },
  });
  assert.match(preview.id, /^upcoming_in_/);
  const prorations = preview.lines.data.filter((l) => l.parent.subscription_item_details.proration);
  const left = T1 - at;
  const period = T1 - T0;
  assert.deepEqual(prorations.map((l) => l.amount), [-Math.round((4900 * left) / period), Math.round((19900 * left) / period)]);
  assert.match(prorations[0].description, /^Unused time on 1 × NNO Starter/);
  assert.match(prorations[1].description, /^Remaining time on 1 × NNO Growth/);
  const next = preview.lines.data.filter((l) => !l.parent.subscription_item_details.proration);
  assert.deepEqual(next.map((l) => [l.amount, l.period.start]), [[19900, T1]]);

  const updated = await stripe.subscriptions.update(sub.id, { items: [{ id: item.id, price: 'price_nno_growth_monthly' }], proration_behavior: 'create_prorations', proration_date: at });
  assert.equal(updated.items.data[0].price.id, 'price_nno_growth_monthly');
  const evt = (await stripe.events.list({ type: 'customer.subscription.updated', limit: 1 })).data[0];
  assert.equal(evt.data.object.id, sub.id);
  assert.equal(evt.data.previous_attributes.items.data[0].price.id, 'price_nno_starter_monthly');

  // The renewal invoice carries exactly the previewed lines.
  await advance(clock.id, T1 + 3600);
  const invoices = await stripe.invoices.list({ subscription: sub.id });
  const renewal = invoices.data[0];
  assert.equal(renewal.billing_reason, 'subscription_cycle');
  assert.equal(renewal.status, 'paid');
  assert.deepEqual(renewal.lines.data.map((l) => l.amount), preview.lines.data.map((l) => l.amount));
  assert.equal(renewal.total, preview.total);

  // always_invoice: the preview is the invoice the update creates and charges now.
  const at2 = T1 + 5 * DAY;
  const item2 = (await stripe.subscriptions.retrieve(sub.id)).items.data[0];
  const details = { items: [{ id: item2.id, price: 'price_nno_scale_monthly', quantity: 2 }], proration_behavior: 'always_invoice', proration_date: at2 };
  const p2 = await stripe.invoices.createPreview({ subscription: sub.id, subscription_details: details });
  const u2 = await stripe.subscriptions.update(sub.id, { items: details.items, proration_behavior: 'always_invoice', proration_date: at2, expand: ['latest_invoice'] });
  assert.equal(u2.items.data[0].quantity, 2);
  assert.equal(u2.latest_invoice.billing_reason, 'subscription_update');
  assert.equal(u2.latest_invoice.status, 'paid');
  assert.deepEqual(u2.latest_invoice.lines.data.map((l) => l.amount), p2.lines.data.map((l) => l.amount));
  assert.equal(u2.latest_invoice.amount_paid, p2.total);
  assert.ok(p2.total > 0);
  // Cancel now (DELETE with query parameters, as stripe-node sends them).
  const canceled = await stripe.subscriptions.cancel(sub.id, { invoice_now: true, prorate: true });
  assert.equal(canceled.status, 'canceled');
  assert.ok(canceled.canceled_at && canceled.ended_at);
  assert.equal((await stripe.subscriptions.list({ customer: customer.id })).data.length, 0);
  assert.equal((await stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data.length, 1);
});

test('test clock: cancel_at_period_end then an advance past the period end cancels; advances are bounded', async () => {
  const { clock, customer } = await clockCustomer();
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: 'price_nno_growth_monthly' }] });
  const set = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
  assert.equal(set.status, 'active');
  assert.equal(set.cancel_at_period_end, true);
  await rejects(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: T0 + 70 * DAY }), Stripe.errors.StripeInvalidRequestError, { param: 'frozen_time' });
  await rejects(stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: T0 - 1 }), Stripe.errors.StripeInvalidRequestError, { param: 'frozen_time' });
  await advance(clock.id, T0 + 20 * DAY);
  assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
  await advance(clock.id, T1 + DAY);
  const done = await stripe.subscriptions.retrieve(sub.id);
  assert.equal(done.status, 'canceled');
  assert.equal(done.ended_at, T1);
  assert.equal((await stripe.invoices.list({ subscription: sub.id })).data.length, 1);
  const clocks = await stripe.testHelpers.testClocks.list();
  assert.ok(clocks.data.some((c) => c.id === clock.id));
  const del = await stripe.testHelpers.testClocks.del(clock.id);
  assert.equal(del.deleted, true);
});

test('dunning: failed renewal -> past_due -> retries on days 3, 8, 15 -> canceled', async () => {
  const { clock, customer } = await clockCustomer();
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: 'price_nno_starter_monthly' }] });
  assert.equal((await control('POST', `customers/${customer.id}/payment`, { fail: true })).status, 200);
  await advance(clock.id, T1 + 3600);
  assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'past_due');
  let inv = (await stripe.invoices.list({ subscription: sub.id, status: 'open' })).data[0];
  assert.equal(inv.attempt_count, 1);
  assert.equal(inv.next_payment_attempt, T1 + 3 * DAY);
  await advance(clock.id, T1 + 9 * DAY);
  inv = await stripe.invoices.retrieve(inv.id);
  assert.equal(inv.attempt_count, 3);
  assert.equal(inv.next_payment_attempt, T1 + 15 * DAY);
  await advance(clock.id, T1 + 16 * DAY);
  inv = await stripe.invoices.retrieve(inv.id);
  assert.equal(inv.attempt_count, 4);
  assert.equal(inv.next_payment_attempt, null);
  assert.equal(inv.status, 'open');
  assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'canceled');
  const failed = (await stripe.events.list({ type: 'invoice.payment_failed', limit: 100 })).data.filter((e) => e.data.object.id === inv.id);
  assert.deepEqual(failed.map((e) => e.data.object.attempt_count).sort(), [1, 2, 3, 4]);
  const deleted = (await stripe.events.list({ type: 'customer.subscription.deleted', limit: 100 })).data.filter((e) => e.data.object.id === sub.id);
  assert.equal(deleted.length, 1);
});

test('payment failure at creation -> incomplete; /pay declined then paid -> active; past_due paid -> active', async () => {
  const { clock, customer } = await clockCustomer(T0, { metadata: { sandbox_payment_behavior: 'fail' } });
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: 'price_nno_starter_monthly' }] });
  assert.equal(sub.status, 'incomplete');
  const inv = await stripe.invoices.retrieve(sub.latest_invoice);
  assert.equal(inv.status, 'open');
  assert.equal(inv.attempt_count, 1);
  await rejects(stripe.invoices.pay(inv.id), Stripe.errors.StripeCardError, { statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
  await control('POST', `customers/${customer.id}/payment`, { fail: false });
  const paid = await stripe.invoices.pay(inv.id);
  assert.equal(paid.status, 'paid');
  assert.equal(paid.amount_remaining, 0);
  assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
  await rejects(stripe.invoices.pay(inv.id), Stripe.errors.StripeInvalidRequestError);

  await control('POST', `customers/${customer.id}/payment`, { fail: true });
  await advance(clock.id, T1 + 60);
  assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'past_due');
  const open = (await stripe.invoices.list({ customer: customer.id, status: 'open' })).data[0];
  await control('POST', `customers/${customer.id}/payment`, { fail: false });
  assert.equal((await stripe.invoices.pay(open.id)).status, 'paid');
  assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
});

function eventsFrom(entries) {
  return entries.filter((e) => !e.failed).map((e) => JSON.parse(e.body));
}

test('webhooks: every delivery verifies with constructEventAsync; a wrong secret does not', async () => {
  await control('POST', 'reset');
  received.length = 0;
  const cus = await stripe.customers.create({ email: 'hook@example.com' });
  await stripe.customers.update(cus.id, { name: 'Hooked' });
  await until(() => eventsFrom(received).filter((e) => e.data.object.id === cus.id).length >= 2, 'two deliveries');
  for (const r of received) {
    assert.equal(r.url, '/api/v1/billing/webhooks/stripe');
    assert.match(r.contentType, /^application\/json/);
    assert.match(r.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
    const event = await stripe.webhooks.constructEventAsync(r.body, r.signature, WH_SECRET);
    assert.equal(event.object, 'event');
    assert.equal(event.livemode, false);
    assert.match(event.request.id, /^req_/);
  }
  const types = eventsFrom(received).map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ['customer.created', 'customer.updated']);
  await assert.rejects(stripe.webhooks.constructEventAsync(received[0].body, received[0].signature, 'whsec_wrong'), Stripe.errors.StripeSignatureVerificationError);
  await assert.rejects(stripe.webhooks.constructEventAsync(received[0].body + ' ', received[0].signature, WH_SECRET), Stripe.errors.StripeSignatureVerificationError);
  // The same event over the API.
  const id = JSON.parse(received[0].body).id;
  assert.equal((await stripe.events.retrieve(id)).type, 'customer.created');
});

test('webhooks: a failing endpoint is retried; hold/release reverse and shuffle; deliverTimes duplicates', async () => {
  await control('POST', 'reset');
  await control('DELETE', 'deliveries');
  received.length = 0;
  failNext = 2;
  const r = await stripe.customers.create({ email: 'retry@example.com' });
  await until(() => eventsFrom(received).some((e) => e.data.object.id === r.id), 'the third attempt', 10000);
  const log = (await control('GET', 'deliveries')).body.data.filter((d) => d.type === 'customer.created');
  assert.deepEqual(log.map((d) => [d.attempt, d.status]), [[1, 500], [2, 500], [3, 200]]);

  // Held, then released in reverse, each twice.
  received.length = 0;
  await control('POST', 'webhooks/hold');
  const made = [];
  for (let i = 0; i < 4; i++) made.push((await stripe.customers.create({ email: `held-${i}@example.com` })).id);
  await sleep(300);
  assert.equal(received.length, 0);
  const rel = await control('POST', 'webhooks/release', { order: 'reverse', times: 2 });
  assert.equal(rel.body.released, 4);
  await until(() => received.length >= 8, 'eight deliveries');
  assert.deepEqual(eventsFrom(received).map((e) => e.data.object.id), [...made].reverse().flatMap((id) => [id, id]));
  for (const x of received) await stripe.webhooks.constructEventAsync(x.body, x.signature, WH_SECRET);

  // Shuffled: the same events, in some order.
  received.length = 0;
  await control('POST', 'webhooks/hold');
  const more = [];
  for (let i = 0; i < 6; i++) more.push((await stripe.customers.create({ email: `shuf-${i}@example.com` })).id);
  await control('POST', 'webhooks/release', { order: 'shuffle', seed: 12345 });
  await until(() => received.length >= 6, 'six deliveries');
  assert.deepEqual(eventsFrom(received).map((e) => e.data.object.id).sort(), [...more].sort());

  // deliverTimes: each event three times, same id.
  received.length = 0;
  assert.equal((await control('POST', 'config', { deliverTimes: 3 })).body.deliverTimes, 3);
  const d = await stripe.customers.create({ email: 'dup@example.com' });
  await until(() => received.length >= 3, 'three copies');
  await sleep(200);
  const copies = eventsFrom(received).filter((e) => e.data.object.id === d.id);
  assert.equal(copies.length, 3);
  assert.equal(new Set(copies.map((e) => e.id)).size, 1);
  await control('POST', 'config', { deliverTimes: 1 });

  // A registered endpoint with its own secret and event filter.
  const hookUrl = `http://127.0.0.1:${hookServer.address().port}/second`;
  const ep = (await control('POST', 'webhooks', { url: hookUrl, enabledEvents: ['customer.deleted'] })).body;
  assert.match(ep.secret, /^whsec_/);
  received.length = 0;
  await stripe.customers.del(d.id);
  await until(() => received.filter((x) => x.url === '/second').length === 1, 'the second endpoint');
  const second = received.find((x) => x.url === '/second');
  assert.equal((await stripe.webhooks.constructEventAsync(second.body, second.signature, ep.secret)).type, 'customer.deleted');
  assert.ok((await control('GET', 'webhooks')).body.data.length >= 2);
});

test('events: subscription and invoice lifecycle types, snapshots, clock events', async () => {
  await control('POST', 'reset');
  const { clock, customer } = await clockCustomer();
  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: 'price_nno_starter_monthly' }] });
  await advance(clock.id, T1 + 60);
  await sleep(250);
  const all = await stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
  const types = new Set(all.map((e) => e.type));
  for (const t of ['customer.created', 'customer.subscription.created', 'customer.subscription.updated', 'invoice.created', 'invoice.finalized',
    'invoice.paid', 'invoice.payment_succeeded', 'test_helpers.test_clock.advancing', 'test_helpers.test_clock.ready']) {
    assert.ok(types.has(t), `missing ${t}`);
  }
  const created = all.find((e) => e.type === 'customer.subscription.created');
  assert.equal(created.data.object.id, sub.id);
  assert.equal(created.data.object.items.data[0].current_period_start, T0);
  assert.equal(created.api_version, '2026-10-28.endive');
  const renewal = all.find((e) => e.type === 'customer.subscription.updated' && e.data.object.id === sub.id);
  assert.equal(renewal.data.previous_attributes.items.data[0].current_period_start, T0);
  assert.equal(renewal.data.object.items.data[0].current_period_start, T1);
  const ready = all.find((e) => e.type === 'test_helpers.test_clock.ready');
  assert.equal(ready.data.object.status, 'ready');
});

// Request bodies the sandbox accepts, checked against Stripe's own OpenAPI request
// schemas (shared/reference/specs/stripe-subset.json, MIT) when that file is present.
const SUBSET = process.env.STRIPE_SUBSET_SPEC || path.resolve(here, '../../../../../shared/reference/specs/stripe-subset.json');
test('accepted bodies validate against Stripe\'s OpenAPI subset', { skip: !fs.existsSync(SUBSET) && 'stripe-subset.json not found' }, async () => {
  const spec = JSON.parse(fs.readFileSync(SUBSET, 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: true, validateFormats: false });
  const schemaFor = (method, template) => {
    const op = spec.paths[template][method.toLowerCase()];
    return { ...op.requestBody.content['application/x-www-form-urlencoded'].schema, components: spec.components };
  };
  const cus = await stripe.customers.create({ email: 'spec@example.com' });
  const cases = [
    ['POST', '/v1/customers', '/v1/customers', 'email=a%40example.com&metadata[tenant_id]=t_1'],
    ['POST', '/v1/subscriptions', '/v1/subscriptions', `customer=${cus.id}&items[0][price]=price_nno_starter_monthly&items[0][quantity]=2&proration_behavior=create_prorations`],
  ];
  for (const [method, template, url, body] of cases) {
    const res = await fetch(`${ORIGIN}${url}`, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(res.status, 200, await res.text());
    const validate = ajv.compile(schemaFor(method, template));
    assert.ok(validate(qs.parse(body, { depth: 20 })), JSON.stringify(validate.errors));
  }
  // And what the sandbox refuses as unknown, the schema refuses too.
  const validate = ajv.compile(schemaFor('POST', '/v1/customers'));
  assert.equal(validate(qs.parse('emali=x')), false);
});
