import { describe, expect, it } from "vitest";
import { authBaseUrl, parseConfig } from "../src/config";
import { errorFromResponse, withQuery } from "../src/api/http";
import { after, allowedActions, blocksWrites } from "../src/lib/lifecycle";
import { isSettled, pollInterval, progress, stepLabel } from "../src/lib/provisioning";
import { dateTime, otpauthSecret, relative } from "../src/lib/format";
import { appUrl, nextPath } from "../src/lib/nav";
import { email, featurePermission, password, slug, slugFrom, splitList, totpCode } from "../src/lib/validation";
import type { PlatformStatus } from "../src/api/types";

const base = { VITE_APP_ENV: "prod", VITE_GATEWAY_URL: "https://api.nno.app/", VITE_PLATFORM_ID: "k3m9p2xw7q", VITE_FEATURES: "platforms, operators" };

describe("config", () => {
  it("reads the deployment from VITE_* values", () => {
    const c = parseConfig(base);
    expect(c.env).toBe("prod");
    expect(c.gatewayUrl).toBe("https://api.nno.app");
    expect([...c.features].sort()).toEqual(["operators", "platforms"]);
    expect(authBaseUrl(c, "https://console.app.nno.app")).toBe("https://api.nno.app/api/v1/iam/auth");
  });
  it("uses the page's origin when the gateway is the same origin", () => {
    const c = parseConfig({ ...base, VITE_GATEWAY_URL: "" });
    expect(authBaseUrl(c, "http://localhost:5174")).toBe("http://localhost:5174/api/v1/iam/auth");
  });
  it("refuses what would misconfigure a build", () => {
    expect(() => parseConfig({ ...base, VITE_PLATFORM_ID: "short" })).toThrow(/VITE_PLATFORM_ID/);
    expect(() => parseConfig({ ...base, VITE_APP_ENV: "qa" })).toThrow(/VITE_APP_ENV/);
    expect(() => parseConfig({ ...base, VITE_GATEWAY_URL: "https://api.nno.app/v1" })).toThrow(/origin/);
    expect(() => parseConfig({ ...base, VITE_FEATURES: "platforms,billing" })).toThrow(/billing/);
  });
  it("the committed stg and prod files parse", async () => {
    const fs = await import("node:fs");
    for (const f of [".env.stg", ".env.prod", ".env.example"]) {
      const vars: Record<string, string> = {};
      for (const line of fs.readFileSync(new URL(`../${f}`, import.meta.url), "utf8").split("\n")) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
        if (m) vars[m[1]] = m[2];
      }
      expect(Object.keys(vars).every((k) => k.startsWith("VITE_")), f).toBe(true);
      expect(() => parseConfig(vars), f).not.toThrow();
    }
  });
});

describe("errors", () => {
  it("reads NNO's envelope with its request id and field", () => {
    const e = errorFromResponse(422, { error: { code: "VALIDATION_FAILED", message: "slug is taken", requestId: "req-1", details: { field: "slug" } } }, "hdr");
    expect([e.status, e.code, e.message, e.requestId, e.field]).toEqual([422, "VALIDATION_FAILED", "slug is taken", "req-1", "slug"]);
  });
  it("reads Better Auth's top-level code beside the envelope", () => {
    const e = errorFromResponse(401, { error: { code: "UNAUTHORIZED", message: "invalid email or password", requestId: "r2", details: null }, code: "INVALID_EMAIL_OR_PASSWORD", message: "invalid email or password", status: 401 }, null);
    expect(e.message).toBe("invalid email or password");
    expect(e.requestId).toBe("r2");
    expect(e.field).toBeNull();
  });
  it("still says something for a body that is not ours", () => {
    const e = errorFromResponse(502, null, "from-header");
    expect(e.message).toMatch(/502/);
    expect(e.requestId).toBe("from-header");
    expect(errorFromResponse(0, null, null).message).toMatch(/could not be reached/);
  });
  it("builds queries without empty values", () => {
    expect(withQuery("/p", { status: "", tier: "growth", cursor: null, limit: 20 })).toBe("/p?tier=growth&limit=20");
    expect(withQuery("/p", { a: undefined })).toBe("/p");
    expect(withQuery("/p", { slug: "a b&c" })).toBe("/p?slug=a+b%26c");
  });
});

describe("lifecycle", () => {
  const all: PlatformStatus[] = ["pending", "provisioning", "active", "suspended", "pending_cancellation", "cancelled", "deleted"];
  it("offers what registry's state machine allows", () => {
    expect(allowedActions("active")).toEqual(["suspend", "cancel", "delete"]);
    expect(allowedActions("suspended")).toEqual(["restore", "cancel", "delete"]);
    expect(allowedActions("pending_cancellation")).toEqual(["restore", "delete"]);
    expect(allowedActions("cancelled")).toEqual(["delete"]);
    expect(allowedActions("deleted")).toEqual([]);
    expect(allowedActions("provisioning")).toEqual(["delete"]);
  });
  it("lands where the server does", () => {
    expect(after("active", "suspend")).toBe("suspended");
    expect(after("suspended", "restore")).toBe("active");
    expect(after("active", "cancel")).toBe("pending_cancellation");
    expect(after("cancelled", "restore")).toBeNull();
    expect(all.filter(blocksWrites)).toEqual(["suspended", "cancelled", "deleted"]);
  });
});

describe("provisioning", () => {
  it("names steps for people", () => {
    expect(stepLabel("create_auth_db")).toMatch(/auth database/);
    expect(stepLabel("register_hostname:auth.svc.default.abc.nno.app")).toBe("Register hostname auth.svc.default.abc.nno.app");
    expect(stepLabel("some_new_step")).toBe("Some new step");
  });
  it("counts progress and knows when to stop polling", () => {
    expect(progress([{ status: "done" }, { status: "running" }, { status: "pending" }, { status: "done" }])).toEqual({ done: 2, total: 4, percent: 50 });
    expect(progress([]).percent).toBe(0);
    expect(isSettled({ status: "provisioning" })).toBe(false);
    expect(isSettled({ status: "failed" })).toBe(true);
    expect(pollInterval(0)).toBeLessThan(pollInterval(60_000));
    expect(pollInterval(60_000)).toBeLessThan(pollInterval(600_000));
  });
});

describe("validation", () => {
  it("slugs follow registry's rule", () => {
    for (const ok of ["abc", "my-platform", "a1b2"]) expect(slug.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["ab", "1abc", "a--b", "abc-", "ABC", "a_b", "x".repeat(41)]) expect(slug.safeParse(bad).success, bad).toBe(false);
  });
  it("suggests a slug from a name", () => {
    expect(slugFrom("Acme Café, Inc.")).toBe("acme-cafe-inc");
    expect(slugFrom("42 Things")).toBe("things");
    expect(slug.safeParse(slugFrom("Hello   World!!")).success).toBe(true);
  });
  it("passwords count code points, as IAM does", () => {
    expect(password.safeParse("1234567").success).toBe(false);
    expect(password.safeParse("12345678").success).toBe(true);
    expect(password.safeParse("😀😀😀😀😀😀😀").success).toBe(false);
    expect(password.safeParse("x".repeat(129)).success).toBe(false);
  });
  it("codes, e-mails and permissions", () => {
    expect(totpCode.safeParse("123456").success).toBe(true);
    expect(totpCode.safeParse("12345").success).toBe(false);
    expect(email.safeParse("a@b.example").success).toBe(true);
    expect(email.safeParse("nope").success).toBe(false);
    expect(featurePermission.safeParse("billing:read").success).toBe(true);
    expect(featurePermission.safeParse("iam:manage-keys").success).toBe(false);
    expect(splitList("a:b, c:d\n a:b  e:f")).toEqual(["a:b", "c:d", "e:f"]);
  });
});

describe("format and navigation", () => {
  it("reads the secret of an otpauth URI", () => {
    expect(otpauthSecret("otpauth://totp/NNO:a%40b?secret=JBSWY3DPEHPK3PXP&issuer=NNO")).toBe("JBSW Y3DP EHPK 3PXP");
    expect(otpauthSecret("https://x/?secret=JBSW")).toBeNull();
    expect(otpauthSecret("not a uri")).toBeNull();
  });
  it("formats times", () => {
    expect(dateTime(null)).toBe("—");
    expect(dateTime("garbage")).toBe("—");
    expect(dateTime(Date.UTC(2026, 0, 2, 3, 4))).toMatch(/^2026-01-0[12] \d\d:04$/);
    const now = Date.UTC(2026, 0, 10);
    expect(relative(now - 5 * 60_000, now)).toBe("5 minutes ago");
    expect(relative(now + 2 * 86_400_000, now)).toBe("in 2 days");
    expect(relative(null, now)).toBe("never");
  });
  it("only returns to paths of this app after sign-in", () => {
    expect(nextPath("?next=%2Fplatforms%2Fabc")).toBe("/platforms/abc");
    expect(nextPath("?next=https%3A%2F%2Fevil.example")).toBe("/platforms");
    expect(nextPath("?next=%2F%2Fevil.example")).toBe("/platforms");
    expect(nextPath("?next=%2F%5Cevil.example")).toBe("/platforms");
    expect(nextPath("")).toBe("/platforms");
    expect(appUrl("/account?verified=1", "http://localhost:5174")).toBe("http://localhost:5174/account?verified=1");
  });
});
