// The bench's console figure: how long from the sign-in click to the platforms list on
// screen, in headless Chromium against a local production build of the console
// (`vite preview`, proxying /api to the local platform). Run by `cargo xtask bench`,
// which sets:
//   NNO_CONSOLE_URL   the console
//   NNO_SERVICE_KEY   the gateway's service key (creates the local admin if missing)
//   NNO_SAMPLES       sign-ins to time (default 10), each in a fresh browser context
//   CHROMIUM_PATH     the browser
// Prints one JSON line: {"coldMs": n, "samplesMs": [...]}. Every sign-in loads the app
// afresh (a new context has an empty HTTP cache); the first, kept apart, also meets
// Workers that have not answered these routes yet.
import { chromium } from "playwright-core";

const CONSOLE = (process.env.NNO_CONSOLE_URL ?? "").replace(/\/+$/, "");
const SERVICE_KEY = process.env.NNO_SERVICE_KEY ?? "";
const SAMPLES = Number.parseInt(process.env.NNO_SAMPLES ?? "10", 10);
const ADMIN = { email: "admin@nno.local", password: "nno-local-admin" };
if (!CONSOLE || !SERVICE_KEY || !(SAMPLES > 0)) {
  console.error("NNO_CONSOLE_URL and NNO_SERVICE_KEY are required; NNO_SAMPLES must be > 0");
  process.exit(2);
}

const made = await fetch(`${CONSOLE}/api/v1/iam/nno/bootstrap`, {
  method: "POST",
  headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
  body: JSON.stringify({ ...ADMIN, name: "Local Admin" }),
});
if (made.status !== 201 && made.status !== 409) {
  console.error(`creating the local admin: ${made.status} ${await made.text()}`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
});

/** One sign-in in a fresh context: ms from the click to the list (rows or its empty state). */
async function once(n) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    // An address of its own per sign-in: IAM limits sign-ins per client address.
    extraHTTPHeaders: { "cf-connecting-ip": `10.79.${Math.floor(n / 250)}.${(n % 250) + 1}` },
  });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${CONSOLE}/sign-in`);
    await page.getByLabel("E-mail").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    const t0 = performance.now();
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Platforms", level: 1 }).waitFor();
    await page.locator("main tbody tr, main .state-empty").first().waitFor();
    return performance.now() - t0;
  } finally {
    await context.close();
  }
}

try {
  const coldMs = await once(0);
  const samplesMs = [];
  for (let i = 1; i <= SAMPLES; i += 1) samplesMs.push(await once(i));
  console.log(JSON.stringify({ coldMs: Math.round(coldMs), samplesMs: samplesMs.map(Math.round) }));
} finally {
  await browser.close();
}
