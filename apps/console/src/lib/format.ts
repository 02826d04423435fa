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
