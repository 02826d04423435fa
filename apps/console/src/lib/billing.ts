// What a subscription's state means to a person, and which billing actions can succeed
// in it. Billing stays the authority: a refused action shows its 409.
import type { Invoice, InvoiceLine, Standing, Subscription, Tier } from "../api/types";
import { formatCents, unixDate } from "./format";
import type { Tone } from "./lifecycle";

/** The list prices, in USD cents per month (billing's Stripe prices). */
export const TIER_PRICE: Record<Tier, number> = { starter: 4_900, growth: 19_900, scale: 79_900 };

export const TIER_LABEL: Record<Tier, string> = { starter: "Starter", growth: "Growth", scale: "Scale" };

/** "Scale, $799.00 a month". */
export function tierOption(tier: Tier): string {
  return `${TIER_LABEL[tier]}, ${formatCents(TIER_PRICE[tier])} a month`;
}

/** What the subscription costs a month: Stripe's figure, else the list price. */
export function monthlyAmount(s: Pick<Subscription, "amount" | "tier">): number {
  return s.amount ?? TIER_PRICE[s.tier];
}

export interface StandingView {
  tone: Tone;
  label: string;
  /** A sentence for a notice, when the standing needs one. */
  explain: string | null;
}

export function standingView(s: Pick<Subscription, "standing" | "status" | "currentPeriodEnd" | "failedAttempts">): StandingView {
  const ends = unixDate(s.currentPeriodEnd);
  const attempts = s.failedAttempts === 1 ? "1 failed attempt" : `${s.failedAttempts} failed attempts`;
  const views: Record<Standing, StandingView> = {
    good: { tone: "good", label: s.status === "trialing" ? "Trial" : s.status === "pending" ? "Setting up" : "Paid up", explain: null },
    grace: {
      tone: "warn",
      label: "Payment failed, retrying",
      explain: `The last payment failed (${attempts}). Stripe retries it; the platform stays active meanwhile, and is suspended if the payment keeps failing.`,
    },
    overdue: {
      tone: "bad",
      label: "Suspended for payment",
      explain: `The platform is suspended because the open invoice is unpaid (${attempts}). It is restored as soon as the invoice is paid.`,
    },
    cancelling: {
      tone: "warn",
      label: `Ends on ${ends}`,
      explain: `The subscription is cancelled at the end of its period: the platform stays active until ${ends}, then is cancelled. You can resume it until then.`,
    },
    cancelled: { tone: "bad", label: "Cancelled", explain: "The subscription has ended." },
  };
  return views[s.standing];
}

/** A tier change can succeed when the subscription is paid up and not being cancelled. */
export function canChangeTier(s: Pick<Subscription, "standing" | "cancelAtPeriodEnd" | "status">): boolean {
  return s.standing === "good" && !s.cancelAtPeriodEnd && s.status !== "pending";
}

export function canCancel(s: Pick<Subscription, "standing" | "cancelAtPeriodEnd">): boolean {
  return s.standing !== "cancelled" && !s.cancelAtPeriodEnd;
}

export function canResume(s: Pick<Subscription, "standing" | "cancelAtPeriodEnd">): boolean {
  return s.standing !== "cancelled" && s.cancelAtPeriodEnd;
}

/** The tiers one can change to. */
export function otherTiers(current: Tier): Tier[] {
  return (Object.keys(TIER_PRICE) as Tier[]).filter((t) => t !== current);
}

/** The lines a tier change charges now (the preview also lists the next period's). */
export function prorationLines(lines: readonly InvoiceLine[]): InvoiceLine[] {
  return lines.filter((l) => l.proration);
}

/** The sum of lines, in cents. */
export function linesTotal(lines: readonly InvoiceLine[]): number {
  return lines.reduce((sum, l) => sum + l.amount, 0);
}

export function invoiceTone(i: Pick<Invoice, "status" | "attemptCount">): Tone {
  switch (i.status) {
    case "paid":
      return "good";
    case "open":
      return i.attemptCount > 0 ? "bad" : "warn";
    case "void":
    case "uncollectible":
      return "bad";
    default:
      return "neutral";
  }
}

export function invoiceStatus(i: Pick<Invoice, "status" | "attemptCount">): string {
  if (!i.status) return "unknown";
  if (i.status === "open" && i.attemptCount > 0) return `open, ${i.attemptCount} failed attempt${i.attemptCount === 1 ? "" : "s"}`;
  return i.status;
}

/**
 * The period an invoice bills: its lines' (Stripe's invoice-level period is that of
 * pending items, often one instant), else the invoice's own.
 */
export function invoicePeriod(i: Pick<Invoice, "periodStart" | "periodEnd" | "lines">): { start: number | null; end: number | null } {
  const starts = i.lines.map((l) => l.periodStart).filter((v): v is number => v !== null);
  const ends = i.lines.map((l) => l.periodEnd).filter((v): v is number => v !== null);
  if (starts.length === 0 || ends.length === 0) return { start: i.periodStart, end: i.periodEnd };
  return { start: Math.min(...starts), end: Math.max(...ends) };
}
