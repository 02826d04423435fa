// Billing's calls (gateway paths): a platform's subscription, tier changes with their
// proration preview, cancellation and its reversal, and invoices.
import { api } from "./http";
import type { Usage } from "../lib/usage";
import type { CursorPage, Invoice, ProrationPreview, Subscription, Tier, TierChange } from "./types";

const b = (path: string) => `/api/v1/billing/${path}`;

export const billing = {
  subscription: (platformId: string) => api<Subscription>(b("subscription"), { query: { platformId } }),
  /** 409 for the current tier, or when the subscription is not paid up or is being cancelled. */
  preview: (platformId: string, tier: Tier, signal?: AbortSignal) =>
    api<ProrationPreview>(b("subscription/proration-preview"), { query: { platformId, tier }, signal }),
  /** Pass the preview's `prorationDate`: the charge is then exactly the preview's. */
  changeTier: (platformId: string, tier: Tier, prorationDate: number) =>
    api<TierChange>(b("subscription/change-tier"), { method: "POST", body: { platformId, tier, prorationDate } }),
  cancel: (platformId: string) => api<Subscription>(b("subscription/cancel"), { method: "POST", body: { platformId } }),
  resume: (platformId: string) => api<Subscription>(b("subscription/resume"), { method: "POST", body: { platformId } }),
  /** The month's usage against the tier (default: this month, UTC). */
  usage: (platformId: string, period?: string) => api<Usage>(b("usage"), { query: { platformId, period } }),
  invoices: (platformId: string, cursor?: string | null, limit = 10) =>
    api<CursorPage<Invoice>>(b("invoices"), { query: { platformId, cursor, limit } }),
};
