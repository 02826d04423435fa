// The console's browser journey: headless Chromium (Debian's package, driven by
// playwright-core) against the real local platform and the sandbox, through the
// console's dev server. Run by `cargo xtask test` (and `--only console`), which sets:
//   NNO_CONSOLE_URL   the console (http://localhost:5174)
//   NNO_SANDBOX       the sandbox (captured e-mail at /_sandbox/emails)
//   NNO_SERVICE_KEY   the gateway's service key (to create the platform admin once)
//   NNO_ARTIFACTS     where each test leaves a screenshot of its last screen
//   CHROMIUM_PATH     the browser
// The tests run in order (each builds on the last); the first failure stops the run
// with a screenshot and exit 1.
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const CONSOLE = need("NNO_CONSOLE_URL").replace(/\/+$/, "");
const SANDBOX = need("NNO_SANDBOX").replace(/\/+$/, "");
const SERVICE_KEY = need("NNO_SERVICE_KEY");
const ARTIFACTS = need("NNO_ARTIFACTS");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const RUN = randomBytes(3).toString("hex");
const PASSWORD = "correct horse battery";
const ADMIN = { email: "admin@nno.local", password: "nno-local-admin" };

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return v;
}

mkdirSync(ARTIFACTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

let ipSeq = 0;
const pageErrors = [];
/** A browser of its own: cookies, and a client address of its own for IAM's per-IP limits. */
async function person(viewport = { width: 1280, height: 800 }) {
  ipSeq += 1;
  const context = await browser.newContext({
    viewport,
    extraHTTPHeaders: { "cf-connecting-ip": `10.77.${Number.parseInt(RUN.slice(0, 2), 16)}.${ipSeq}` },
  });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => {
    errors.push(String(e));
    pageErrors.push(String(e));
  });
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

const results = [];
let lastPage = null;
async function test(name, fn) {
  const started = Date.now();
  const file = `${String(results.length + 1).padStart(2, "0")}-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`;
  const shot = join(ARTIFACTS, file);
  try {
    const page = await fn();
    lastPage = page ?? lastPage;
    if (lastPage) await lastPage.screenshot({ path: shot, fullPage: true });
    results.push({ name, ok: true, ms: Date.now() - started, screenshot: shot });
    console.log(`  ok    ${name} (${Date.now() - started} ms)  ${shot}`);
  } catch (e) {
    if (lastPage) await lastPage.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    results.push({ name, ok: false, error: String(e?.stack ?? e), screenshot: shot });
    console.log(`  FAIL  ${name}: ${e?.message ?? e}\n        screenshot ${shot}`);
    for (const line of pageErrors) console.log(`        page error: ${line}`);
    writeFileSync(join(ARTIFACTS, "results.json"), JSON.stringify(results, null, 2));
    await browser.close();
    process.exit(1);
  }
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

/** Makes `page` the one whose screen a failure keeps. */
function on(page) {
  lastPage = page;
  return page;
}

/** The newest captured e-mail to `to` whose text matches `re` (polled for 20 s). */
async function email(to, re) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${SANDBOX}/_sandbox/emails?to=${encodeURIComponent(to)}`);
    const body = await res.json();
    for (const m of [...(body.data ?? [])].reverse()) {
      const hit = re.exec(m.text ?? "");
      if (hit) return hit[1];
    }
    if (Date.now() > deadline) throw new Error(`no e-mail to ${to} matching ${re}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ------------------------------------------------------------------ TOTP (RFC 6238)
function base32(s) {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.toUpperCase().replace(/[\s=]/g, "")) {
    value = (value << 5) | abc.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
const timeStep = () => Math.floor(Date.now() / 30_000);
function totp(secret, counter) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac("sha1", base32(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

// ------------------------------------------------------------------ steps
async function fillSignUp(page, who) {
  await page.getByLabel("Name").fill(who.name);
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Repeat the password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

async function signIn(page, who) {
  await page.goto(`${CONSOLE}/sign-in`);
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByLabel("Password").fill(who.password ?? PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function verifyEmail(page, address) {
  const link = await email(address, /Verify: (\S+)/);
  await page.goto(link);
  await page.getByText("Your e-mail address is verified.").waitFor();
}

async function createTenant(page, name) {
  await page.waitForURL(/\/tenant\/new/);
  await page.getByLabel("Tenant name").fill(name);
  await page.getByRole("button", { name: "Create tenant" }).click();
  await page.getByRole("heading", { name, level: 1 }).waitFor();
}

const owner = { name: "Olga Owner", email: `owner-${RUN}@example.com` };
const colleague = { name: "Colm Colleague", email: `colleague-${RUN}@example.com` };
const stranger = { name: "Sam Stranger", email: `stranger-${RUN}@example.com` };
const tenantName = `Acme ${RUN}`;
const platformSlug = `acme-${RUN}`;
let platformId = null;
/** The owner's signed-in page once two-factor is on (test 6 onwards). */
let ownerPage = null;
const ACCOUNT = "0123456789abcdef0123456789abcdef";

const O = await person();

await test("a new user signs up, creates a tenant and verifies the address", async () => {
  on(O.page);
  await O.page.goto(`${CONSOLE}/sign-up`);
  await fillSignUp(O.page, owner);
  await createTenant(O.page, tenantName);
  await verifyEmail(O.page, owner.email);
  return O.page;
});

await test("the owner invites a colleague, who accepts from the e-mail", async () => {
  await O.page.goto(`${CONSOLE}/tenant`);
  await O.page.getByLabel("E-mail").fill(colleague.email);
  await O.page.getByRole("button", { name: "Send invitation" }).click();
  await O.page.locator(`[data-invitation="${colleague.email}"]`).waitFor();

  const C = await person();
  on(C.page);
  const link = await email(colleague.email, /(https?:\/\/\S+\/accept-invitation\/\S+)/);
  await C.page.goto(link);
  await C.page.getByRole("link", { name: "Create an account" }).click();
  await fillSignUp(C.page, colleague);
  await C.page.waitForURL(/accept-invitation/);
  await verifyEmail(C.page, colleague.email);
  await C.page.goto(link);
  const named = await C.page.getByTestId("invitation-tenant").textContent();
  check(named === tenantName, `the invitation names the tenant: ${named}`);
  await C.page.getByRole("button", { name: "Accept invitation" }).click();
  await C.page.getByRole("heading", { name: tenantName, level: 1 }).waitFor();
  await C.page.locator(`[data-member="${owner.email}"]`).waitFor();
  await C.page.screenshot({ path: join(ARTIFACTS, "02b-colleague-joined.png"), fullPage: true });
  await C.context.close();
  on(O.page);
  await O.page.reload();
  await O.page.locator(`[data-member="${colleague.email}"]`).waitFor();
  return O.page;
});

await test("the owner onboards a platform and watches it become active", async () => {
  await O.page.goto(`${CONSOLE}/platforms`);
  await O.page.getByRole("link", { name: /Onboard/ }).first().click();
  await O.page.getByLabel("Platform name").fill(`Acme Platform ${RUN}`);
  await O.page.getByLabel("Slug").fill(platformSlug);
  await O.page.getByText(`${platformSlug} is available`).waitFor();
  await O.page.getByLabel("Tier").selectOption("growth");
  await O.page.getByRole("button", { name: "Create platform" }).click();
  await O.page.waitForURL(/\/onboarding\//);
  const status = O.page.getByTestId("onboarding-status");
  const seen = new Set();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const s = await status.getAttribute("data-status");
    seen.add(await status.textContent());
    if (s === "active") break;
    check(s !== "failed", `onboarding failed: ${await O.page.locator("main").innerText()}`);
    check(Date.now() < deadline, "onboarding did not become active in 120 s");
    await O.page.waitForTimeout(200);
  }
  console.log(`        progress seen: ${[...seen].join(" | ")}`);
  await O.page.getByRole("link", { name: "Open the platform" }).click();
  await O.page.waitForURL(/\/platforms\/[a-z0-9]{10}$/);
  platformId = O.page.url().split("/").pop();
  await O.page.locator('main [data-status="active"]').first().waitFor();
  await O.page.getByRole("tab", { name: "DNS" }).click();
  await O.page.getByRole("region", { name: "DNS records" }).waitFor();
  const hosts = await O.page.locator("tbody tr").count();
  check(hosts === 4, `4 hostnames, saw ${hosts}`);
  await O.page.getByRole("tab", { name: "Provisioning jobs" }).click();
  await O.page.getByText("SUCCEEDED").first().waitFor();
  return O.page;
});

await test("the owner suspends the platform and restores it", async () => {
  await O.page.getByRole("tab", { name: "Overview" }).click();
  await O.page.getByRole("button", { name: "Suspend" }).click();
  const dialog = O.page.getByRole("dialog");
  await dialog.getByLabel("Reason (optional)").fill("journey check");
  await dialog.getByRole("button", { name: "Suspend" }).click();
  await O.page.locator('main [data-status="suspended"]').first().waitFor();
  await O.page.getByText(/changes to it are refused/).waitFor();
  await O.page.getByRole("button", { name: "Restore" }).click();
  await O.page.getByRole("dialog").getByRole("button", { name: "Restore" }).click();
  await O.page.locator('main [data-status="active"]').first().waitFor();
  await O.page.getByRole("tab", { name: "Lifecycle" }).click();
  await O.page.getByRole("cell", { name: "journey check" }).waitFor();
  return O.page;
});

await test("the owner creates an API key, which works, and revokes it", async () => {
  await O.page.goto(`${CONSOLE}/keys`);
  await O.page.getByLabel("Key name").fill(`journey ${RUN}`);
  await O.page.getByRole("button", { name: "Create key" }).click();
  const key = (await O.page.getByTestId("new-key").textContent())?.trim() ?? "";
  check(/^nno_[a-z2-7]{32}$/.test(key), `a key is shown once: ${key}`);
  const use = () =>
    fetch(`${CONSOLE}/api/v1/platforms`, { headers: { authorization: `Bearer ${key}`, "cf-connecting-ip": "10.78.0.1" } });
  const before = await use();
  check(before.status === 200, `the new key lists platforms: ${before.status}`);
  check((await before.json()).data.some((p) => p.id === platformId), "the key sees the tenant's platform");
  const row = O.page.locator(`[data-key="journey ${RUN}"]`);
  await row.getByRole("button", { name: "Revoke" }).click();
  await O.page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await row.waitFor({ state: "detached" });
  const after = await use();
  check(after.status === 401, `the revoked key is refused: ${after.status}`);
  return O.page;
});

await test("the owner enrolls two-factor and signs in again with a code", async () => {
  await O.page.goto(`${CONSOLE}/account`);
  const card = O.page.getByRole("region", { name: "Two-factor authentication" });
  await card.getByLabel("Password").fill(PASSWORD);
  await card.getByRole("button", { name: "Set up two-factor" }).click();
  await card.getByRole("img", { name: /QR code/ }).waitFor();
  const secret = (await O.page.getByTestId("totp-secret").textContent())?.trim() ?? "";
  const codes = await O.page.getByTestId("backup-codes").locator("li").count();
  check(codes === 10, `ten backup codes, saw ${codes}`);
  const enabledAt = timeStep();
  await card.getByLabel("Authentication code").fill(totp(secret, enabledAt));
  await card.getByRole("button", { name: "Turn on two-factor" }).click();
  await card.getByText("Sign-ins ask for a code").waitFor();
  await O.page.getByRole("button", { name: "Sign out", exact: true }).click();
  await O.page.waitForURL(/\/sign-in/);
  await O.context.close();

  const again = await person();
  on(again.page);
  await signIn(again.page, owner);
  await again.page.waitForURL(/\/two-factor/);
  // Each step's code is accepted once: wait for the step after the enrolment's.
  while (timeStep() <= enabledAt) await again.page.waitForTimeout(500);
  await again.page.getByLabel("Authentication code").fill(totp(secret, timeStep()));
  await again.page.getByRole("button", { name: "Verify" }).click();
  await again.page.getByRole("heading", { name: "Platforms", level: 1 }).waitFor();
  await again.page.locator(`[data-platform="${platformSlug}"]`).waitFor();
  ownerPage = again.page;
  return again.page;
});

await test("an operator sees platforms of all tenants", async () => {
  const created = await fetch(`${CONSOLE}/api/v1/iam/nno/bootstrap`, {
    method: "POST",
    headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ ...ADMIN, name: "Local Admin" }),
  });
  check(created.status === 201 || created.status === 409, `bootstrap the platform admin: ${created.status}`);
  const op = await person();
  on(op.page);
  // A figure for the note and the bench: sign-in click to the platforms list on screen.
  await op.page.goto(`${CONSOLE}/sign-in`);
  await op.page.getByLabel("E-mail").fill(ADMIN.email);
  await op.page.getByLabel("Password").fill(ADMIN.password);
  const t0 = Date.now();
  await op.page.getByRole("button", { name: "Sign in", exact: true }).click();
  await op.page.getByRole("heading", { name: "Platforms", level: 1 }).waitFor();
  console.log(`        sign-in click to the platforms list on screen: ${Date.now() - t0} ms`);
  await op.page.getByRole("link", { name: "Operators" }).click();
  await op.page.locator(`[data-platform="${platformSlug}"]`).waitFor();
  await op.page.getByLabel("Status").selectOption("cancelled");
  await op.page.locator(`[data-platform="${platformSlug}"]`).waitFor({ state: "detached" });
  await op.page.getByLabel("Status").selectOption("active");
  await op.page.getByLabel("Tier").selectOption("growth");
  await op.page.locator(`[data-platform="${platformSlug}"]`).waitFor();
  return op.page;
});

await test("a member of another tenant can neither see nor open the platform", async () => {
  const s = await person({ width: 390, height: 844 });
  on(s.page);
  await s.page.goto(`${CONSOLE}/sign-up`);
  await fillSignUp(s.page, stranger);
  await createTenant(s.page, `Other ${RUN}`);
  await s.page.goto(`${CONSOLE}/platforms`);
  await s.page.getByText("No platforms yet.").waitFor();
  await s.page.goto(`${CONSOLE}/platforms/${platformId}`);
  await s.page.getByRole("heading", { name: "Platform not found" }).waitFor();
  check(s.errors.length === 0, `no script errors: ${s.errors.join("; ")}`);
  return s.page;
});


/** Makes the sandbox fail the next `times` Cloudflare calls under `path` with `status`. */
async function cloudflareFault(path, status, times) {
  const res = await fetch(`${SANDBOX}/_sandbox/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ pathPrefix: `/cloudflare/client/v4/accounts/${ACCOUNT}/${path}`, status, times }),
  });
  check(res.ok, `sandbox fault: ${res.status}`);
}

/** Polls `cond` for 20 s. */
async function until(cond, what) {
  const deadline = Date.now() + 20_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function confirm(page, label) {
  await page.getByRole("dialog").getByRole("button", { name: label }).click();
  await page.getByRole("dialog").waitFor({ state: "detached" });
}

await test("a member signs out another device, changes and resets the password, and signs in with a link", async () => {
  const first = await person();
  const second = await person({ width: 390, height: 844 });
  on(first.page);
  for (const p of [first.page, second.page]) {
    await signIn(p, colleague);
    await p.getByRole("heading", { name: "Platforms", level: 1 }).waitFor();
  }
  // Sessions: every other device of this user is listed and signed out one by one.
  await first.page.goto(`${CONSOLE}/account`);
  const sessions = first.page.getByRole("table", { name: "Your sessions" });
  await sessions.getByText("this device", { exact: true }).waitFor();
  const others = sessions.getByRole("button", { name: "Sign out this device" });
  check((await others.count()) >= 1, "the other browser is listed");
  for (let n = await others.count(); n > 0; n -= 1) {
    await others.first().click();
    await until(async () => (await others.count()) < n, "the signed-out session leaves the list");
  }
  await second.page.goto(`${CONSOLE}/tenant`);
  await second.page.waitForURL(/\/sign-in/);
  await second.context.close();

  // Password change: the old password stops working, the new one works.
  const changed = "a brand new passphrase";
  const card = first.page.getByRole("region", { name: "Password", exact: true });
  await card.getByLabel("Current password", { exact: true }).fill(PASSWORD);
  await card.getByLabel("New password", { exact: true }).fill(changed);
  await card.getByLabel("Repeat the new password").fill(changed);
  await card.getByRole("button", { name: "Change password" }).click();
  await card.getByText("Password changed.").waitFor();
  await first.page.getByRole("button", { name: "Sign out", exact: true }).click();
  await first.page.waitForURL(/\/sign-in/);
  await signIn(first.page, { ...colleague, password: PASSWORD });
  await first.page.getByRole("alert").waitFor();
  check(/\/sign-in/.test(first.page.url()), "the old password is refused");

  await first.context.close();

  // Reset from the e-mail on another device (IAM limits sign-in and password requests
  // per client address), then the new password signs in.
  const r = await person();
  on(r.page);
  await r.page.goto(`${CONSOLE}/sign-in`);
  await r.page.getByRole("link", { name: "Forgot your password?" }).click();
  await r.page.getByLabel("E-mail").fill(colleague.email);
  await r.page.getByRole("button", { name: "Send reset link" }).click();
  await r.page.getByText("a reset link is on its way").waitFor();
  const reset = await email(colleague.email, /Reset: (\S+)/);
  await r.page.goto(reset);
  await r.page.waitForURL(/\/reset-password\?/);
  const after = "reset from the e-mail";
  await r.page.getByLabel("New password", { exact: true }).fill(after);
  await r.page.getByLabel("Repeat it").fill(after);
  await r.page.getByRole("button", { name: "Set password" }).click();
  await r.page.getByText("Your password is changed").waitFor();
  await signIn(r.page, { ...colleague, password: after });
  await r.page.getByRole("heading", { name: "Platforms", level: 1 }).waitFor();
  colleague.password = after;
  await r.context.close();

  // A magic link in a fresh browser.
  const third = await person();
  on(third.page);
  await third.page.goto(`${CONSOLE}/sign-in`);
  await third.page.getByRole("tab", { name: "E-mail me a link" }).click();
  await third.page.getByLabel("E-mail").fill(colleague.email);
  await third.page.getByRole("button", { name: "Send me a sign-in link" }).click();
  await third.page.getByText("a sign-in link is on its way").waitFor();
  const link = await email(colleague.email, /Sign in: (\S+)/);
  await third.page.goto(link);
  await third.page.getByRole("heading", { name: "Platforms", level: 1 }).waitFor();
  await third.page.locator(`[data-platform="${platformSlug}"]`).waitFor();
  return third.page;
});

const githubUser = `octo-${RUN}@example.com`;
let githubPage = null;
await test("new users sign in with GitHub and with Google through the sandbox", async () => {
  for (const [provider, who, hint] of [
    ["GitHub", githubUser, "login"],
    ["Google", `gmail-${RUN}@example.com`, "login_hint"],
  ]) {
    const p = await person();
    on(p.page);
    // The sandbox approves at once; the address it signs in is the `login`/`login_hint`
    // a person would have typed at the provider.
    await p.page.route(/\/(github\/login\/oauth\/authorize|google\/o\/oauth2\/v2\/auth)\?/, (route) =>
      route.continue({ url: `${route.request().url()}&${hint}=${encodeURIComponent(who)}` }),
    );
    await p.page.goto(`${CONSOLE}/sign-in`);
    await p.page.getByRole("button", { name: `Continue with ${provider}` }).click();
    await p.page.waitForURL((u) => u.origin === new URL(CONSOLE).origin && !u.pathname.startsWith("/sign-in"));
    await p.page.locator(".user-menu", { hasText: who }).waitFor();
    check(p.errors.length === 0, `no script errors: ${p.errors.join("; ")}`);
    if (provider === "GitHub") githubPage = p.page;
    else await p.context.close();
  }
  return githubPage;
});

await test("the owner changes a role, maps and grants permissions, removes a member; an invited member leaves", async () => {
  const o = on(ownerPage);
  // Role change.
  await o.goto(`${CONSOLE}/tenant`);
  await Promise.all([
    o.waitForResponse((r) => r.url().includes("/organization/update-member-role") && r.ok()),
    o.getByLabel(`Role of ${colleague.email}`).selectOption("admin"),
  ]);
  await o.reload();
  const role = await o.getByLabel(`Role of ${colleague.email}`).inputValue();
  check(role === "admin", `the colleague is admin now: ${role}`);

  // Roles to permissions, and a grant with its removal.
  await o.goto(`${CONSOLE}/tenant/roles`);
  const mapping = o.getByLabel("Feature permissions of member");
  await mapping.fill("billing:read, stacks:read");
  await Promise.all([
    o.waitForResponse((r) => r.url().endsWith("/api/v1/iam/nno/roles") && r.request().method() === "POST" && r.ok()),
    mapping.locator("xpath=ancestor::form").getByRole("button", { name: "Save" }).click(),
  ]);
  await o.reload();
  const saved = await o.getByLabel("Feature permissions of member").inputValue();
  check(saved.includes("billing:read") && saved.includes("stacks:read"), `the mapping is kept: ${saved}`);
  await o.getByLabel("Member", { exact: true }).selectOption({ label: `${colleague.email} (admin)` });
  await o.getByLabel("Permission", { exact: true }).fill("iam:read");
  await o.getByRole("button", { name: "Add", exact: true }).click();
  await o.getByText("iam: permissions are IAM's own").waitFor();
  await o.getByLabel("Permission", { exact: true }).fill("billing:write");
  await o.getByLabel("Effect").selectOption("deny");
  await o.getByRole("button", { name: "Add", exact: true }).click();
  const grants = o.getByRole("table", { name: "Grants and denials" });
  await grants.getByRole("row", { name: new RegExp(`${colleague.email}.*billing:write.*denied`) }).waitFor();
  await grants.getByRole("button", { name: "Remove" }).click();
  await o.getByText("No grants or denials.").waitFor();

  // Remove the colleague.
  await o.goto(`${CONSOLE}/tenant`);
  await o.locator(`[data-member="${colleague.email}"]`).getByRole("button", { name: "Remove" }).click();
  await confirm(o, "Remove");
  await o.locator(`[data-member="${colleague.email}"]`).waitFor({ state: "detached" });

  // The GitHub user is invited, accepts, and leaves.
  await o.getByLabel("E-mail").fill(githubUser);
  await o.getByRole("button", { name: "Send invitation" }).click();
  await o.locator(`[data-invitation="${githubUser}"]`).waitFor();
  const g = on(githubPage);
  await g.goto(await email(githubUser, /(https?:\/\/\S+\/accept-invitation\/\S+)/));
  await g.getByRole("button", { name: "Accept invitation" }).click();
  await g.getByRole("heading", { name: tenantName, level: 1 }).waitFor();
  await g.getByRole("button", { name: "Leave tenant" }).click();
  await confirm(g, "Leave");
  await g.getByText("You have no active tenant.").waitFor();
  on(o);
  await o.reload();
  await o.locator(`[data-member="${owner.email}"]`).waitFor();
  check((await o.locator(`[data-member="${githubUser}"]`).count()) === 0, "the member who left is gone");
  return o;
});

await test("the owner adds a tenant and a sub-tenant to the platform and deletes the sub-tenant", async () => {
  const o = on(ownerPage);
  await o.goto(`${CONSOLE}/platforms/${platformId}?tab=tenants`);
  const add = o.getByRole("region", { name: "Add a tenant" });
  await add.getByLabel("Name").fill("North Region");
  await add.getByRole("button", { name: "Add tenant" }).click();
  const tree = o.getByRole("list", { name: "Tenants" });
  await tree.getByText("North Region").waitFor();
  await add.getByLabel("Name").fill("North Depot");
  await add.getByLabel("Parent").selectOption({ label: "sub-tenant of North Region" });
  await add.getByRole("button", { name: "Add tenant" }).click();
  // The sub-tenant sits under its parent.
  await tree.locator("li li", { hasText: "North Depot" }).waitFor();
  await tree.locator("li li", { hasText: "North Depot" }).getByRole("button", { name: "Delete" }).click();
  await confirm(o, "Delete");
  await tree.getByText("North Depot").waitFor({ state: "detached" });
  await tree.getByText("North Region").waitFor();
  return o;
});

await test("an onboarding that fails at a step shows its error, and Retry completes it", async () => {
  const o = on(ownerPage);
  const slug = `retry-${RUN}`;
  // The auth Worker's upload is refused once (a permanent 400): the job rolls back.
  await cloudflareFault("workers/scripts", 400, 1);
  await o.goto(`${CONSOLE}/platforms/new`);
  await o.getByLabel("Platform name").fill(`Retry ${RUN}`);
  await o.getByLabel("Slug").fill(slug);
  await o.getByText(`${slug} is available`).waitFor();
  // The tenant's second platform: starter allows one per tenant, growth three.
  await o.getByLabel("Tier").selectOption("growth");
  await o.getByRole("button", { name: "Create platform" }).click();
  await o.waitForURL(/\/onboarding\//);
  const status = o.getByTestId("onboarding-status");
  await o.locator('[data-testid="onboarding-status"][data-status="failed"]').waitFor({ timeout: 60_000 });
  const notice = await o.getByText("Retrying resumes where it stopped.").textContent();
  check(/400/.test(notice ?? ""), `the failure shows the step's error: ${notice}`);
  await o.getByRole("button", { name: "Retry" }).click();
  await o.locator('[data-testid="onboarding-status"][data-status="active"]').waitFor({ timeout: 90_000 });
  check((await status.textContent()) === "Your platform is active.", "active after the retry");
  return o;
});

await test("the owner sees the platform's usage, changes its tier after the preview, cancels the subscription and resumes it", async () => {
  const o = on(ownerPage);
  await o.goto(`${CONSOLE}/platforms/${platformId}?tab=billing`);
  await o.locator('[data-testid="billing-tier"][data-tier="growth"]').waitFor();
  const price = (await o.getByTestId("billing-price").textContent())?.trim();
  check(price === "$199.00 a month", `growth's price: ${price}`);
  const renewal = (await o.getByTestId("billing-renewal").textContent())?.trim() ?? "";
  check(/^\d{4}-\d\d-\d\d$/.test(renewal), `a renewal date: ${renewal}`);
  await o.locator('[data-standing="good"]').waitFor();

  // Metering (what the 02:00 UTC run does, asked for now): yesterday's usage shows as a
  // bar and a daily chart per metric (on the 1st, yesterday is last month's).
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const run = await fetch(`${CONSOLE}/api/v1/billing/metering/run`, {
    method: "POST",
    headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ day: yesterday }),
  });
  check(run.status === 202, `metering run: ${run.status} ${await run.text()}`);
  if (new Date().getUTCDate() !== 1) {
    let shown = 0;
    await until(async () => {
      await o.reload();
      await o.locator('[data-testid="billing-tier"]').waitFor();
      shown = await o.locator('[data-testid="billing-usage"] li').count();
      return shown === 5;
    }, "the usage card shows five metrics");
    const meters = await o.getByRole("meter").count();
    check(meters === 5, `a bar per metric: ${meters}`);
    await o.getByRole("img", { name: "Worker invocations per day" }).waitFor();
  }

  // Scale: the preview says what is charged now, and the invoice charges exactly that.
  await o.getByLabel("New tier").selectOption("scale");
  const preview = (await o.getByTestId("preview-amount").textContent())?.trim() ?? "";
  check(/^\$[1-9][\d,]*\.\d\d$/.test(preview), `an upgrade costs something now: ${preview}`);
  await o.getByRole("button", { name: "Change to Scale" }).click();
  await o.getByRole("dialog").getByText(`You are charged ${preview} now`).waitFor();
  await confirm(o, "Change tier");
  const charged = (await o.getByTestId("charged-amount").textContent())?.trim();
  check(charged === preview, `charged ${charged}, the preview said ${preview}`);
  await o.locator('[data-testid="billing-tier"][data-tier="scale"]').waitFor();
  check((await o.getByTestId("billing-price").textContent())?.trim() === "$799.00 a month", "scale's price");
  const invoices = o.getByRole("table", { name: "Invoices" });
  await until(async () => (await invoices.locator("tbody tr").count()) >= 2, "the first month's invoice and the change's");
  await invoices.getByRole("row").filter({ hasText: preview }).first().waitFor();

  // Cancel at the period's end: the platform follows through Stripe's webhook.
  await o.getByRole("button", { name: "Cancel subscription" }).click();
  await o.getByRole("dialog").getByText(`until the end of the period, ${renewal}`).waitFor();
  await confirm(o, "Cancel subscription");
  await o.locator('[data-standing="cancelling"]').waitFor();
  await o.getByText(`Ends on ${renewal}`).first().waitFor();
  await o.locator('main [data-status="pending_cancellation"]').first().waitFor({ timeout: 30_000 });

  // Resume: good standing, and the platform active again.
  await o.getByRole("button", { name: "Resume subscription" }).click();
  await confirm(o, "Resume");
  await o.locator('[data-standing="good"]').waitFor();
  await o.locator('main [data-status="active"]').first().waitFor({ timeout: 30_000 });
  await o.getByRole("button", { name: "Cancel subscription" }).waitFor();
  return o;
});

await test("the owner cancels the platform and then deletes it", async () => {
  const o = on(ownerPage);
  await o.goto(`${CONSOLE}/platforms/${platformId}`);
  await o.getByRole("button", { name: "Cancel", exact: true }).click();
  await o.getByRole("dialog").getByLabel("Reason (optional)").fill("journey cancel");
  await confirm(o, "Cancel");
  await o.locator('main [data-status="pending_cancellation"]').first().waitFor();
  await o.getByRole("button", { name: "Delete", exact: true }).click();
  await confirm(o, "Delete");
  await o.locator('main [data-status="deleted"]').first().waitFor();
  await o.getByText("No action is possible in this status.").waitFor();
  await o.getByRole("tab", { name: "Lifecycle" }).click();
  await o.getByRole("cell", { name: "journey cancel" }).waitFor();
  return o;
});

writeFileSync(join(ARTIFACTS, "results.json"), JSON.stringify(results, null, 2));
await browser.close();
console.log(`console journey: ${results.length} tests passed`);
