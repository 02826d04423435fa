// Dates and small texts, formatted the same way on every screen.

/** "2026-12-03 10:42" in the viewer's zone; "—" for none. Accepts Unix ms or ISO text. */
export function dateTime(v: number | string | null | undefined): string {
  if (v === null || v === undefined || v === "") return "—";
  const d = typeof v === "number" ? new Date(v) : new Date(v);
  if (Number.isNaN(d.getTime())) return "—";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "in 3 days", "5 minutes ago"; coarse on purpose. */
export function relative(v: number | string | null | undefined, now = Date.now()): string {
  if (v === null || v === undefined || v === "") return "never";
  const t = typeof v === "number" ? v : Date.parse(v);
  if (Number.isNaN(t)) return "never";
  const diff = t - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  for (const [ms, unit] of units) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      const w = `${n} ${unit}${n === 1 ? "" : "s"}`;
      return diff > 0 ? `in ${w}` : `${w} ago`;
    }
  }
  return diff > 0 ? "in under a minute" : "just now";
}

/** The secret of an otpauth:// URI, grouped by four for typing by hand. */
export function otpauthSecret(uri: string): string | null {
  try {
    const u = new URL(uri);
    if (u.protocol !== "otpauth:") return null;
    const s = u.searchParams.get("secret");
    if (!s || !/^[A-Z2-7]+=*$/i.test(s)) return null;
    return s.toUpperCase().replace(/=+$/, "").replace(/(.{4})/g, "$1 ").trim();
  } catch {
    return null;
  }
}

export const ROLE_RANK = { member: 0, admin: 1, owner: 2 } as const;

/**
 * Cents as money: `formatCents(19900)` → "$199.00", `-1234` → "-$12.34" (a credit).
 * `currency` is an ISO code in either case (Stripe's are lower case); "—" for none.
 */
export function formatCents(cents: number | null | undefined, currency: string | null | undefined = "usd"): string {
  if (cents === null || cents === undefined || !Number.isFinite(cents)) return "—";
  const code = (currency || "usd").toUpperCase();
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency: code }).format(cents / 100);
  } catch {
    // An unknown code: still show the amount.
    return `${(cents / 100).toFixed(2)} ${code}`;
  }
}

/** Unix seconds (Stripe's, billing's) as Unix milliseconds; null for none. */
export function fromUnixSeconds(s: number | null | undefined): number | null {
  if (s === null || s === undefined || !Number.isFinite(s)) return null;
  return s * 1000;
}

/** Unix seconds as "2026-12-03" in the viewer's zone; "—" for none. */
export function unixDate(s: number | null | undefined): string {
  const ms = fromUnixSeconds(s);
  if (ms === null) return "—";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A period of Unix seconds: "2026-12-03 – 2027-01-03"; one end alone if the other is unknown. */
export function unixPeriod(start: number | null | undefined, end: number | null | undefined): string {
  if (start == null && end == null) return "—";
  if (start == null) return `until ${unixDate(end)}`;
  if (end == null) return `from ${unixDate(start)}`;
  return `${unixDate(start)} – ${unixDate(end)}`;
}
