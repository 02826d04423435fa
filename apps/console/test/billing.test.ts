import { describe, expect, it } from "vitest";
import { formatCents, fromUnixSeconds, unixDate, unixPeriod } from "../src/lib/format";
import {
  canCancel,
  canChangeTier,
  canResume,
  invoicePeriod,
  invoiceStatus,
  invoiceTone,
  linesTotal,
  monthlyAmount,
  otherTiers,
  prorationLines,
  standingView,
  TIER_PRICE,
  tierOption,
} from "../src/lib/billing";
import type { InvoiceLine, Subscription } from "../src/api/types";

// 2026-03-15 12:00 UTC: the same calendar day in every zone from UTC-11 to UTC+11.
const MID_MARCH = Date.UTC(2026, 2, 15, 12) / 1000;
const MID_APRIL = Date.UTC(2026, 3, 15, 12) / 1000;

const sub = (over: Partial<Subscription> = {}): Subscription => ({
  platformId: "k3m9p2xw7q",
  tier: "growth",
  status: "active",
  standing: "good",
  cancelAtPeriodEnd: false,
  currentPeriodStart: MID_MARCH,
  currentPeriodEnd: MID_APRIL,
  stripeCustomerId: "cus_1",
  stripeSubscriptionId: "sub_1",
  amount: 19_900,
  currency: "usd",
  failedAttempts: 0,
  ...over,
});

const line = (amount: number, proration: boolean): InvoiceLine => ({ description: null, amount, proration, periodStart: null, periodEnd: null });

describe("money and Unix seconds", () => {
  it("formats cents as dollars, credits negative", () => {
    expect(formatCents(19_900)).toBe("$199.00");
    expect(formatCents(4_900, "usd")).toBe("$49.00");
    expect(formatCents(79_900, "USD")).toBe("$799.00");
    expect(formatCents(0)).toBe("$0.00");
    expect(formatCents(5)).toBe("$0.05");
    expect(formatCents(-1_234)).toBe("-$12.34");
    expect(formatCents(123_456_789)).toBe("$1,234,567.89");
  });
  it("says so for no amount, and survives an odd currency", () => {
    expect(formatCents(null)).toBe("—");
    expect(formatCents(undefined)).toBe("—");
    expect(formatCents(Number.NaN)).toBe("—");
    expect(formatCents(1_000, null)).toBe("$10.00");
    expect(formatCents(1_000, "eur")).toMatch(/€10\.00/);
    expect(formatCents(1_000, "not a code")).toBe("10.00 NOT A CODE");
  });
  it("reads Unix seconds, not milliseconds", () => {
    expect(fromUnixSeconds(1_700_000_000)).toBe(1_700_000_000_000);
    expect(fromUnixSeconds(null)).toBeNull();
    expect(unixDate(MID_MARCH)).toBe("2026-03-15");
    expect(unixDate(null)).toBe("—");
    expect(unixPeriod(MID_MARCH, MID_APRIL)).toBe("2026-03-15 – 2026-04-15");
    expect(unixPeriod(null, MID_APRIL)).toBe("until 2026-04-15");
    expect(unixPeriod(MID_MARCH, null)).toBe("from 2026-03-15");
    expect(unixPeriod(null, undefined)).toBe("—");
  });
});

describe("billing", () => {
  it("knows the tiers' prices", () => {
    expect(TIER_PRICE).toEqual({ starter: 4_900, growth: 19_900, scale: 79_900 });
    expect(tierOption("scale")).toBe("Scale, $799.00 a month");
    expect(otherTiers("growth")).toEqual(["starter", "scale"]);
    expect(monthlyAmount(sub({ amount: null, tier: "scale" }))).toBe(79_900);
    expect(monthlyAmount(sub({ amount: 12_345 }))).toBe(12_345);
  });
  it("says what each standing means", () => {
    expect(standingView(sub())).toMatchObject({ tone: "good", label: "Paid up", explain: null });
    const grace = standingView(sub({ standing: "grace", status: "past_due", failedAttempts: 2 }));
    expect(grace.tone).toBe("warn");
    expect(grace.label).toBe("Payment failed, retrying");
    expect(grace.explain).toMatch(/2 failed attempts/);
    const overdue = standingView(sub({ standing: "overdue", status: "unpaid", failedAttempts: 1 }));
    expect(overdue.tone).toBe("bad");
    expect(overdue.label).toMatch(/suspended/i);
    expect(overdue.explain).toMatch(/1 failed attempt\)/);
    const cancelling = standingView(sub({ standing: "cancelling", cancelAtPeriodEnd: true }));
    expect(cancelling.label).toBe("Ends on 2026-04-15");
    expect(cancelling.explain).toMatch(/until 2026-04-15/);
    expect(standingView(sub({ standing: "cancelled", status: "canceled" })).tone).toBe("bad");
    expect(standingView(sub({ status: "trialing" })).label).toBe("Trial");
  });
  it("offers only the actions billing accepts", () => {
    expect(canChangeTier(sub())).toBe(true);
    expect(canChangeTier(sub({ standing: "grace", status: "past_due" }))).toBe(false);
    expect(canChangeTier(sub({ standing: "overdue" }))).toBe(false);
    expect(canChangeTier(sub({ standing: "cancelling", cancelAtPeriodEnd: true }))).toBe(false);
    expect(canChangeTier(sub({ status: "pending" }))).toBe(false);
    expect([canCancel(sub()), canResume(sub())]).toEqual([true, false]);
    const cancelling = sub({ standing: "cancelling", cancelAtPeriodEnd: true });
    expect([canCancel(cancelling), canResume(cancelling)]).toEqual([false, true]);
    const ended = sub({ standing: "cancelled", status: "canceled", cancelAtPeriodEnd: true });
    expect([canCancel(ended), canResume(ended)]).toEqual([false, false]);
    expect(canCancel(sub({ standing: "grace" }))).toBe(true);
  });
  it("charges now the proration lines only", () => {
    const lines = [line(-15_000, true), line(60_000, true), line(79_900, false)];
    expect(prorationLines(lines)).toHaveLength(2);
    expect(linesTotal(prorationLines(lines))).toBe(45_000);
    expect(linesTotal([])).toBe(0);
  });
  it("shows an invoice's status", () => {
    expect(invoiceTone({ status: "paid", attemptCount: 1 })).toBe("good");
    expect(invoiceTone({ status: "open", attemptCount: 0 })).toBe("warn");
    expect(invoiceTone({ status: "open", attemptCount: 2 })).toBe("bad");
    expect(invoiceTone({ status: "draft", attemptCount: 0 })).toBe("neutral");
    expect(invoiceTone({ status: null, attemptCount: 0 })).toBe("neutral");
    expect(invoiceStatus({ status: "open", attemptCount: 1 })).toBe("open, 1 failed attempt");
    expect(invoiceStatus({ status: "paid", attemptCount: 1 })).toBe("paid");
    expect(invoiceStatus({ status: null, attemptCount: 0 })).toBe("unknown");
  });
  it("bills the period of an invoice's lines", () => {
    const l = (a: number, b: number): InvoiceLine => ({ description: null, amount: 1, proration: true, periodStart: a, periodEnd: b });
    expect(invoicePeriod({ periodStart: 5, periodEnd: 5, lines: [l(10, 30), l(20, 40)] })).toEqual({ start: 10, end: 40 });
    expect(invoicePeriod({ periodStart: 5, periodEnd: 6, lines: [] })).toEqual({ start: 5, end: 6 });
    expect(invoicePeriod({ periodStart: 5, periodEnd: 6, lines: [line(1, false)] })).toEqual({ start: 5, end: 6 });
  });
});
