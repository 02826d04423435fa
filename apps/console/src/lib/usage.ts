// A platform's monthly usage as the billing page shows it: metric names, compact
// counts, how full a bar is, and each metric's daily series for its chart.

export type Metric = "workerInvocations" | "d1RowsRead" | "d1RowsWritten" | "r2Operations" | "kvOperations";

export const METRIC_LABEL: Record<Metric, string> = {
  workerInvocations: "Worker invocations",
  d1RowsRead: "D1 rows read",
  d1RowsWritten: "D1 rows written",
  r2Operations: "R2 operations",
  kvOperations: "KV operations",
};

export interface MetricUsage {
  metric: Metric;
  used: number;
  included: number;
  percent: number;
  overage: number;
}

export type DailyUsage = { day: string } & Record<Metric, number>;

export interface Usage {
  platformId: string;
  period: string;
  tier: string;
  days: number;
  metrics: MetricUsage[];
  daily: DailyUsage[];
}

/** `1234` → "1.2K", `2500000` → "2.5M", `2500000000` → "2.5B"; small numbers as they are. */
export function compact(n: number): string {
  const units: [number, string][] = [
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [size, unit] of units) {
    if (Math.abs(n) >= size) {
      const v = n / size;
      return `${v >= 100 ? Math.round(v) : Number(v.toFixed(1))}${unit}`;
    }
  }
  return String(n);
}

/** How much of the bar to fill (0 to 100), and whether it is past the allowance. */
export function bar(m: Pick<MetricUsage, "used" | "included">): { width: number; over: boolean; warn: boolean } {
  if (m.included <= 0) return { width: 0, over: false, warn: false };
  const ratio = m.used / m.included;
  return { width: Math.min(100, Math.round(ratio * 100)), over: ratio > 1, warn: ratio >= 0.8 };
}

/** The metric's value per metered day, and the tallest (for the chart's scale). */
export function series(daily: DailyUsage[], metric: Metric): { day: string; value: number }[] {
  return daily.map((d) => ({ day: d.day, value: d[metric] ?? 0 }));
}

/** `2026-12` → "December 2026". */
export function periodLabel(period: string): string {
  const [y, m] = period.split("-").map(Number);
  if (!y || !m || m < 1 || m > 12) return period;
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}
