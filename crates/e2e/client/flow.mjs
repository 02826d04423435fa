// Drives IAM's Better Auth API through the gateway with the OFFICIAL `better-auth`
// client (pinned in package.json), the way an application would: sign-up, sessions,
// organizations and invitations, role changes, error display, TOTP two-factor
// (enable, then a sign-in challenge carried by the `two_factor` cookie), sign-out.
//
// Run by crates/e2e/tests/official_client.rs with NNO_E2E_GATEWAY and
// NNO_E2E_SANDBOX set (`cargo xtask test` sets both). NNO_E2E_ORIGIN overrides the
// Origin sent on every request (a trusted origin: cookie-authenticated writes need one).
//
// Output: one JSON line, `{"ok":true,"steps":n}` (exit 0) or
// `{"ok":false,"step":"...","detail":...}` (exit 1).

import { createHmac, randomBytes } from "node:crypto";
import { createAuthClient } from "better-auth/client";
import { organizationClient, twoFactorClient } from "better-auth/client/plugins";

const GATEWAY = requireEnv("NNO_E2E_GATEWAY").replace(/\/+$/, "");
const SANDBOX = requireEnv("NNO_E2E_SANDBOX").replace(/\/+$/, "");
const ORIGIN = process.env.NNO_E2E_ORIGIN || "http://localhost:5174";
const BASE_URL = `${GATEWAY}/api/v1/iam/auth`;
const PASSWORD = "correct horse battery";
const REQUEST_TIMEOUT_MS = 30_000;
const WHOLE_FLOW_TIMEOUT_MS = 180_000;

function requireEnv(name) {
  const v = process.env[name];
  if (!v) {
    process.stdout.write(`${JSON.stringify({ ok: false, step: "environment", detail: `${name} is not set` })}\n`);
    process.exit(1);
  }
  return v;
}

// ---------------------------------------------------------------- output

let finished = false;
function finish(obj, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(`${JSON.stringify(obj)}\n`, () => process.exit(code));
}

class StepFailure extends Error {
  constructor(message, detail) {
    super(message);
    this.detail = detail;
  }
}

let current = "start";
let steps = 0;

async function step(name, fn) {
  current = name;
  const out = await fn();
  steps += 1;
  return out;
}

function fail(message, context) {
  throw new StepFailure(message, context);
}

function check(cond, message, context) {
  if (!cond) fail(message, context);
}

function eq(actual, expected, what, context) {
  if (actual !== expected) {
    fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`, context);
  }
}

/** A `{data, error}` result of the client must be a success; returns `data`. */
function ok(res, what) {
  check(res && typeof res === "object", `${what}: the client returned ${typeof res}`, res);
  if (res.error) fail(`${what}: expected success, got an error`, { error: res.error });
  check(res.data !== undefined, `${what}: no data`, res);
  return res.data;
}

/** A `{data, error}` result of the client must be an error with `status`; returns it. */
function err(res, status, what) {
  check(res && typeof res === "object", `${what}: the client returned ${typeof res}`, res);
  if (!res.error) fail(`${what}: expected an error ${status}, got success`, { data: res.data });
  eq(res.data, null, `${what}: data beside the error`, res);
  eq(res.error.status, status, `${what}: error.status`, { error: res.error });
  return res.error;
}

// ---------------------------------------------------------------- HTTP

/** A client address of its own for every request: sign-up, sign-in and two-factor
 *  are limited to 3 per 10 s per IP, and this script is many clients, not one. */
function randomIp() {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

/** A minimal cookie jar: keeps the latest value per cookie name, drops expired ones. */
class CookieJar {
  constructor() {
    this.cookies = new Map();
  }

  store(setCookies) {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(";");
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      let expired = value === "";
      for (const a of attrs) {
        const [k, ...rest] = a.split("=");
        const key = k.trim().toLowerCase();
        const v = rest.join("=").trim();
        if (key === "max-age" && Number(v) <= 0) expired = true;
        if (key === "expires" && Date.parse(v) <= Date.now()) expired = true;
      }
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** Whether a cookie whose name ends with `suffix` (any `__Secure-`/prefix) is held. */
  has(suffix) {
    return [...this.cookies.keys()].some((k) => k.endsWith(suffix));
  }

  names() {
    return [...this.cookies.keys()];
  }
}

/**
 * An official client, as one application instance. With `jar`, it behaves like a
 * browser: stores every Set-Cookie and sends the cookies back. Every request carries
 * `origin` and a fresh `cf-connecting-ip`. `redirects` records each
 * onTwoFactorRedirect call.
 */
function makeClient({ jar = null } = {}) {
  const redirects = [];
  const customFetchImpl = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("origin", ORIGIN);
    headers.set("cf-connecting-ip", randomIp());
    if (jar && jar.cookies.size > 0) headers.set("cookie", jar.header());
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const response = await fetch(url, { ...init, headers, signal });
    if (jar) jar.store(response.headers.getSetCookie());
    return response;
  };
  const client = createAuthClient({
    baseURL: BASE_URL,
    fetchOptions: { customFetchImpl },
    plugins: [
      organizationClient(),
      twoFactorClient({
        onTwoFactorRedirect(ctx) {
          redirects.push(ctx);
        },
      }),
    ],
  });
  return { client, jar, redirects };
}

function bearer(token) {
  return { fetchOptions: { headers: { authorization: `Bearer ${token}` } } };
}

function uniqueEmail(tag) {
  return `${tag}-${randomBytes(6).toString("hex")}@example.com`;
}

/** Proves `address` with the client: the verification e-mail, then its token. */
async function verifyAddress(who, token, address, label) {
  ok(
    await who.client.sendVerificationEmail({ email: address, ...bearer(token) }),
    `sendVerificationEmail (${label})`,
  );
  const { found } = await waitForEmail(address, (m) => /Verification token: (\S+)/.exec(m.text || "")?.[1]);
  check(typeof found === "string", `verification e-mail (${label}): no token`, found);
  ok(await who.client.verifyEmail({ query: { token: found } }), `verifyEmail (${label})`);
}

/** The captured e-mails to `address`, polled until `pick` finds one (newest first). */
async function waitForEmail(address, pick) {
  const deadline = Date.now() + 15_000;
  let last = null;
  for (;;) {
    const url = `${SANDBOX}/_sandbox/emails?to=${encodeURIComponent(address)}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await res.text();
    check(res.ok, `GET ${url}: status ${res.status}`, text);
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      fail(`GET ${url}: not JSON`, text);
    }
    check(Array.isArray(body?.data), `GET ${url}: no data array`, body);
    last = body.data;
    for (const mail of [...body.data].reverse()) {
      const found = pick(mail);
      if (found) return { mail, found };
    }
    if (Date.now() > deadline) fail(`no matching e-mail to ${address} within 15 s`, { emails: last });
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---------------------------------------------------------------- TOTP (RFC 6238)

function base32Decode(input) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const clean = input.toUpperCase().replace(/=+$/, "");
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totpCounter() {
  return Math.floor(Date.now() / 1000 / 30);
}

/** The 6-digit HMAC-SHA1 code of the 30 s time step `counter`. */
function totp(key, counter) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(msg).digest();
  const o = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(bin % 1_000_000).padStart(6, "0");
}

// ---------------------------------------------------------------- the flow

async function flow() {
  // No cookies: every call authenticates by bearer token only.
  const owner = makeClient();
  const anon = makeClient();
  // A browser-like member: cookies, needed for the two-factor sign-in challenge.
  const member = makeClient({ jar: new CookieJar() });

  const ownerEmail = uniqueEmail("owner");
  const memberEmail = uniqueEmail("member");

  // a. owner signs up; the session works by bearer.
  const ownerToken = await step("a.owner-sign-up", async () => {
    const data = ok(
      await owner.client.signUp.email({ name: "Olive Owner", email: ownerEmail, password: PASSWORD }),
      "signUp.email",
    );
    check(typeof data.token === "string" && data.token.length > 0, "signUp.email: no token", data);
    eq(data.user?.email, ownerEmail, "signUp.email: user.email", data);
    return data.token;
  });
  await step("a.owner-get-session", async () => {
    const data = ok(await anon.client.getSession(bearer(ownerToken)), "getSession");
    check(data, "getSession: null session for a fresh sign-up token", data);
    eq(data.user?.email, ownerEmail, "getSession: user.email", data);
    check(data.session && typeof data.session.id === "string", "getSession: no session object", data);
  });

  // b. owner creates an organization.
  const slug = `e2e-${randomBytes(6).toString("hex")}`;
  const orgId = await step("b.create-organization", async () => {
    const data = ok(
      await owner.client.organization.create({ name: `E2E ${slug}`, slug, ...bearer(ownerToken) }),
      "organization.create",
    );
    check(typeof data.id === "string" && data.id.length > 0, "organization.create: no id", data);
    eq(data.slug, slug, "organization.create: slug", data);
    check(Array.isArray(data.members) && data.members.length === 1, "organization.create: members", data);
    eq(data.members[0].role, "owner", "organization.create: members[0].role", data);
    return data.id;
  });
  await step("b.list-organizations", async () => {
    const data = ok(await owner.client.organization.list(bearer(ownerToken)), "organization.list");
    check(Array.isArray(data), "organization.list: not an array", data);
    check(data.some((o) => o.id === orgId && o.slug === slug), "organization.list: the new organization is missing", data);
  });
  await step("b.full-organization", async () => {
    const data = ok(
      await owner.client.organization.getFullOrganization({ query: { organizationId: orgId }, ...bearer(ownerToken) }),
      "organization.getFullOrganization",
    );
    eq(data?.id, orgId, "getFullOrganization: id", data);
    check(Array.isArray(data.members), "getFullOrganization: no members", data);
    eq(data.members.length, 1, "getFullOrganization: member count", data);
    eq(data.members[0].user?.email, ownerEmail, "getFullOrganization: members[0].user.email", data);
  });

  // c. a second user is invited; the invitation e-mail carries its id.
  const memberToken = await step("c.member-sign-up", async () => {
    const data = ok(
      await member.client.signUp.email({ name: "Milo Member", email: memberEmail, password: PASSWORD }),
      "signUp.email (member)",
    );
    check(typeof data.token === "string" && data.token.length > 0, "signUp.email (member): no token", data);
    eq(data.user?.email, memberEmail, "signUp.email (member): user.email", data);
    return data.token;
  });
  // Invitations need verified addresses on both sides.
  await step("c.verify-owner", () => verifyAddress(owner, ownerToken, ownerEmail, "owner"));
  const invitationId = await step("c.invite-member", async () => {
    const data = ok(
      await owner.client.organization.inviteMember({
        email: memberEmail,
        role: "member",
        organizationId: orgId,
        ...bearer(ownerToken),
      }),
      "organization.inviteMember",
    );
    check(typeof data.id === "string" && data.id.length > 0, "inviteMember: no id", data);
    eq(data.status, "pending", "inviteMember: status", data);
    eq(data.email, memberEmail, "inviteMember: email", data);
    eq(data.organizationId, orgId, "inviteMember: organizationId", data);
    return data.id;
  });
  await step("c.invitation-email", async () => {
    const { found } = await waitForEmail(memberEmail, (m) => /Invitation id: (\S+)/.exec(m.text || "")?.[1]);
    eq(found, invitationId, "invitation e-mail: Invitation id", { found, invitationId });
  });

  await step("c.verify-member", () => verifyAddress(member, memberToken, memberEmail, "member"));

  // d. the member accepts; the organization has two members.
  const memberId = await step("d.accept-invitation", async () => {
    const data = ok(
      await member.client.organization.acceptInvitation({ invitationId, ...bearer(memberToken) }),
      "organization.acceptInvitation",
    );
    eq(data?.invitation?.status, "accepted", "acceptInvitation: invitation.status", data);
    eq(data.member?.role, "member", "acceptInvitation: member.role", data);
    eq(data.member?.organizationId, orgId, "acceptInvitation: member.organizationId", data);
    check(typeof data.member.id === "string", "acceptInvitation: no member.id", data);
    return data.member.id;
  });
  await step("d.member-set-active", async () => {
    const data = ok(
      await member.client.organization.setActive({ organizationId: orgId, ...bearer(memberToken) }),
      "organization.setActive",
    );
    eq(data?.id, orgId, "setActive: id", data);
    const s = ok(await anon.client.getSession(bearer(memberToken)), "getSession (member)");
    eq(s?.session?.activeOrganizationId, orgId, "getSession (member): session.activeOrganizationId", s);
  });
  await step("d.two-members", async () => {
    const data = ok(
      await owner.client.organization.getFullOrganization({ query: { organizationId: orgId }, ...bearer(ownerToken) }),
      "organization.getFullOrganization",
    );
    eq(data?.members?.length, 2, "getFullOrganization: member count", data);
    const m = data.members.find((x) => x.id === memberId);
    check(m, "getFullOrganization: the new member is missing", data);
    eq(m.user?.email, memberEmail, "getFullOrganization: new member's user.email", data);
    eq(m.role, "member", "getFullOrganization: new member's role", data);
  });

  // e. the owner promotes the member; the only owner cannot leave.
  await step("e.update-member-role", async () => {
    const data = ok(
      await owner.client.organization.updateMemberRole({
        memberId,
        role: "admin",
        organizationId: orgId,
        ...bearer(ownerToken),
      }),
      "organization.updateMemberRole",
    );
    eq(data?.role, "admin", "updateMemberRole: role", data);
    eq(data.id, memberId, "updateMemberRole: id", data);
  });
  await step("e.only-owner-cannot-leave", async () => {
    const e = err(
      await owner.client.organization.leave({ organizationId: orgId, ...bearer(ownerToken) }),
      400,
      "organization.leave (only owner)",
    );
    eq(e.code, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", "leave (only owner): error.code", e);
  });

  // f. a wrong password: the error reaches the application as Better Auth shapes it.
  await step("f.wrong-password", async () => {
    const e = err(
      await anon.client.signIn.email({ email: ownerEmail, password: "not the password" }),
      401,
      "signIn.email (wrong password)",
    );
    check(typeof e.message === "string" && e.message.length > 0, "wrong password: error.message empty", e);
    check(typeof e.code === "string" && e.code.length > 0, "wrong password: error.code empty", e);
  });

  // g. the member turns on TOTP, signs out, and signs in through the challenge.
  const totpKey = await step("g.two-factor-enable", async () => {
    const data = ok(
      await member.client.twoFactor.enable({ password: PASSWORD, ...bearer(memberToken) }),
      "twoFactor.enable",
    );
    check(typeof data?.totpURI === "string" && data.totpURI.startsWith("otpauth://totp/"), "twoFactor.enable: totpURI", data);
    check(Array.isArray(data.backupCodes), "twoFactor.enable: no backupCodes", data);
    eq(data.backupCodes.length, 10, "twoFactor.enable: backupCodes.length", data);
    const secret = new URL(data.totpURI).searchParams.get("secret");
    check(secret && /^[A-Z2-7]+=*$/i.test(secret), "twoFactor.enable: no base32 secret in totpURI", data.totpURI);
    return base32Decode(secret);
  });
  const enabledAt = await step("g.two-factor-verify-enable", async () => {
    const counter = totpCounter();
    const data = ok(
      await member.client.twoFactor.verifyTotp({ code: totp(totpKey, counter), ...bearer(memberToken) }),
      "twoFactor.verifyTotp (enabling)",
    );
    check(typeof data?.token === "string", "verifyTotp (enabling): no token", data);
    // Enabling rotates the session (Better Auth returns the *old* token): from here
    // on the member is signed in by the session cookie in its jar, as a browser is.
    check(member.jar.has("session_token"), "verifyTotp (enabling): the member holds no session cookie", member.jar.names());
    const s = ok(await member.client.getSession(), "getSession (member, by cookie)");
    eq(s?.user?.email, memberEmail, "getSession (member, by cookie): user.email", s);
    eq(s.user.twoFactorEnabled, true, "getSession (member, by cookie): user.twoFactorEnabled", s);
    return counter;
  });
  await step("g.member-sign-out", async () => {
    const data = ok(await member.client.signOut(), "signOut (member, by cookie)");
    eq(data?.success, true, "signOut (member): success", data);
    check(!member.jar.has("session_token"), "signOut (member): the session cookie was not expired", member.jar.names());
    const s = ok(await member.client.getSession(), "getSession (member, after sign-out)");
    eq(s, null, "getSession (member, after sign-out)", s);
  });
  await step("g.sign-in-challenge", async () => {
    const before = member.redirects.length;
    const data = ok(
      await member.client.signIn.email({ email: memberEmail, password: PASSWORD }),
      "signIn.email (two-factor user)",
    );
    eq(data?.twoFactorRedirect, true, "signIn.email (two-factor user): twoFactorRedirect", data);
    check(Array.isArray(data.twoFactorMethods) && data.twoFactorMethods.includes("totp"), "signIn.email: twoFactorMethods", data);
    check(data.token === undefined && data.user === undefined, "signIn.email (two-factor user): a session before the second factor", data);
    eq(member.redirects.length, before + 1, "onTwoFactorRedirect calls", member.redirects);
    check(member.redirects.at(-1)?.twoFactorMethods?.includes("totp"), "onTwoFactorRedirect: twoFactorMethods", member.redirects);
    check(member.jar.has("two_factor"), "signIn.email (two-factor user): no two_factor cookie", member.jar.names());
    check(!member.jar.has("session_token"), "signIn.email (two-factor user): a session cookie before the second factor", member.jar.names());
  });
  const secondToken = await step("g.two-factor-verify-sign-in", async () => {
    // Never the code already used to enable: still in the same 30 s step, the next
    // step's code (Better Auth accepts a window of ±1 step).
    const counter = Math.max(totpCounter(), enabledAt + 1);
    const data = ok(
      await member.client.twoFactor.verifyTotp({ code: totp(totpKey, counter) }),
      "twoFactor.verifyTotp (sign-in)",
    );
    check(typeof data?.token === "string" && data.token.length > 0, "verifyTotp (sign-in): no token", data);
    eq(data.user?.email, memberEmail, "verifyTotp (sign-in): user.email", data);
    check(!member.jar.has("two_factor"), "verifyTotp (sign-in): the two_factor cookie was not expired", member.jar.names());
    check(member.jar.has("session_token"), "verifyTotp (sign-in): no session cookie", member.jar.names());
    return data.token;
  });
  await step("g.session-after-two-factor", async () => {
    const s = ok(await anon.client.getSession(bearer(secondToken)), "getSession (member, new token)");
    eq(s?.user?.email, memberEmail, "getSession (member, new token): user.email", s);
  });

  // h. the owner removes the member by e-mail.
  await step("h.remove-member", async () => {
    const data = ok(
      await owner.client.organization.removeMember({
        memberIdOrEmail: memberEmail,
        organizationId: orgId,
        ...bearer(ownerToken),
      }),
      "organization.removeMember",
    );
    eq(data?.member?.id, memberId, "removeMember: member.id", data);
    const full = ok(
      await owner.client.organization.getFullOrganization({ query: { organizationId: orgId }, ...bearer(ownerToken) }),
      "organization.getFullOrganization",
    );
    eq(full?.members?.length, 1, "getFullOrganization after removal: member count", full);
    eq(full.members[0].user?.email, ownerEmail, "getFullOrganization after removal: the owner remains", full);
  });

  // i. the owner signs out; the token is dead.
  await step("i.owner-sign-out", async () => {
    const data = ok(await owner.client.signOut(bearer(ownerToken)), "signOut (owner)");
    eq(data?.success, true, "signOut (owner): success", data);
    const s = await anon.client.getSession(bearer(ownerToken));
    eq(s?.error, null, "getSession (signed-out token): error", s);
    eq(s.data, null, "getSession (signed-out token): data", s);
  });
}

// ---------------------------------------------------------------- main

setTimeout(() => {
  finish({ ok: false, step: current, detail: `the flow did not finish within ${WHOLE_FLOW_TIMEOUT_MS / 1000} s` }, 1);
}, WHOLE_FLOW_TIMEOUT_MS).unref();

try {
  await flow();
  finish({ ok: true, steps }, 0);
} catch (e) {
  const detail =
    e instanceof StepFailure
      ? { message: e.message, context: e.detail ?? null }
      : { message: String(e?.message ?? e), stack: e?.stack ?? null, cause: e?.cause ? String(e.cause) : null };
  finish({ ok: false, step: current, detail }, 1);
}
