import { describe, expect, it } from "vitest";
import { bar, compact, periodLabel, series } from "../src/lib/usage";

describe("usage", () => {
  it("writes counts compactly", () => {
    expect(compact(999)).toBe("999");
    expect(compact(1234)).toBe("1.2K");
    expect(compact(2_500_000)).toBe("2.5M");
    expect(compact(250_000_000)).toBe("250M");
    expect(compact(2_500_000_000)).toBe("2.5B");
    expect(compact(0)).toBe("0");
  });

  it("fills a bar to the allowance and says when it is past it", () => {
    expect(bar({ used: 50, included: 100 })).toEqual({ width: 50, over: false, warn: false });
    expect(bar({ used: 82, included: 100 })).toEqual({ width: 82, over: false, warn: true });
    expect(bar({ used: 120, included: 100 })).toEqual({ width: 100, over: true, warn: true });
    expect(bar({ used: 5, included: 0 })).toEqual({ width: 0, over: false, warn: false });
  });

  it("gives a metric's daily series and names the month", () => {
    const daily = [
      { day: "2026-12-01", workerInvocations: 5, d1RowsRead: 1, d1RowsWritten: 0, r2Operations: 0, kvOperations: 0 },
      { day: "2026-12-02", workerInvocations: 7, d1RowsRead: 2, d1RowsWritten: 0, r2Operations: 0, kvOperations: 0 },
    ];
    expect(series(daily, "workerInvocations")).toEqual([
      { day: "2026-12-01", value: 5 },
      { day: "2026-12-02", value: 7 },
    ]);
    expect(periodLabel("2026-12")).toBe("December 2026");
    expect(periodLabel("nonsense")).toBe("nonsense");
  });
});
