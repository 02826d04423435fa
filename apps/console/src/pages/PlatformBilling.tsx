// A platform's billing: its subscription (tier, price, standing, renewal), a tier change
// with Stripe's proration preview, cancellation at the period's end and its reversal,
// and the invoices. Owners and admins (`platforms:manage`) change; members read.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { billing } from "../api/billing";
import { ApiError } from "../api/http";
import { useCursorPages } from "../api/pages";
import type { Invoice, Platform, Subscription, Tier, TierChange } from "../api/types";
import { can, useMe } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Badge, Button, Card, Empty, ErrorNotice, LoadMore, Loading, Notice, Select, Table } from "../components/ui";
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
  TIER_LABEL,
  tierOption,
} from "../lib/billing";
import { formatCents, unixDate, unixPeriod } from "../lib/format";
import { bar, compact, METRIC_LABEL, type MetricUsage, periodLabel, series } from "../lib/usage";

const subKey = (id: string) => ["platform", id, "billing", "subscription"] as const;
const invoicesKey = (id: string) => ["platform", id, "billing", "invoices"] as const;

/**
 * Refreshes the subscription, the invoices and the platform now, and the platform again
 * shortly after: registry learns of a change through Stripe's webhook a moment later.
 */
function useRefresh(id: string) {
  const qc = useQueryClient();
  const timers = useRef<ReturnType<typeof setTimeout>[]>([]);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  return async (next?: Subscription) => {
    if (next) qc.setQueryData(subKey(id), next);
    const all = () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: ["platform", id] }),
        qc.invalidateQueries({ queryKey: ["platforms"] }),
      ]);
    await all();
    timers.current.forEach(clearTimeout);
    timers.current = [1_000, 2_500, 5_000, 10_000, 20_000].map((ms) => setTimeout(() => void all(), ms));
  };
}

export function Billing({ p }: { p: Platform }) {
  const me = useMe();
  const sub = useQuery({ queryKey: subKey(p.id), queryFn: () => billing.subscription(p.id), retry: false });
  const manage = can(me.data, "platforms:manage") && p.status !== "deleted" && p.status !== "cancelled";
  if (sub.isPending) return <Loading what="Loading the subscription" />;
  if (sub.error) {
    if (sub.error instanceof ApiError && sub.error.status === 404) {
      return <Empty>This platform has no subscription yet.</Empty>;
    }
    return <ErrorNotice error={sub.error} onRetry={() => sub.refetch()} />;
  }
  const s = sub.data;
  return (
    <>
      <SubscriptionCard s={s} />
      {manage ? (
        <>
          <ChangeTier p={p} s={s} />
          <CancelOrResume p={p} s={s} />
        </>
      ) : (
        <p className="muted">Only the tenant's owners and admins can change the subscription.</p>
      )}
      <UsageCard id={p.id} />
      <Invoices id={p.id} />
    </>
  );
}

/** This month's usage against the tier: a bar per metric and its days as a chart. */
function UsageCard({ id }: { id: string }) {
  const q = useQuery({ queryKey: ["platform", id, "billing", "usage"], queryFn: () => billing.usage(id) });
  return (
    <Card title={q.data ? `Usage, ${periodLabel(q.data.period)}` : "Usage"}>
      {q.isPending ? <Loading what="Loading usage" /> : null}
      {q.error ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {q.data && q.data.days === 0 ? (
        <Empty>No usage metered yet this month: metering runs daily at 02:00 UTC.</Empty>
      ) : null}
      {q.data && q.data.days > 0 ? (
        <ul className="usage" data-testid="billing-usage">
          {q.data.metrics.map((m) => (
            <UsageMetric key={m.metric} m={m} daily={series(q.data.daily, m.metric)} />
          ))}
        </ul>
      ) : null}
    </Card>
  );
}

function UsageMetric({ m, daily }: { m: MetricUsage; daily: { day: string; value: number }[] }) {
  const b = bar(m);
  const label = METRIC_LABEL[m.metric];
  const top = Math.max(1, ...daily.map((d) => d.value));
  return (
    <li data-metric={m.metric}>
      <div className="usage-head">
        <span>{label}</span>
        <span>
          {compact(m.used)} of {compact(m.included)} ({m.percent} %)
          {m.overage > 0 ? <Badge tone="bad">{compact(m.overage)} over</Badge> : null}
        </span>
      </div>
      <div
        className={`usage-bar${b.over ? " usage-over" : b.warn ? " usage-warn" : ""}`}
        role="meter"
        aria-label={`${label}: ${m.percent} % of the included amount`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.min(100, m.percent)}
      >
        <span style={{ width: `${b.width}%` }} />
      </div>
      {/* One slot per day of the month, so the bars sit on their dates. */}
      <svg className="usage-chart" viewBox="0 0 186 30" preserveAspectRatio="none" role="img" aria-label={`${label} per day`}>
        {daily.map((d) => {
          const h = Math.max(1, Math.round((d.value / top) * 28));
          const slot = Number(d.day.slice(8, 10)) - 1;
          return (
            <rect key={d.day} x={slot * 6 + 1} y={30 - h} width={4} height={h}>
              <title>{`${d.day}: ${compact(d.value)}`}</title>
            </rect>
          );
        })}
      </svg>
    </li>
  );
}

function SubscriptionCard({ s }: { s: Subscription }) {
  const view = standingView(s);
  const currency = s.currency ?? "usd";
  return (
    <Card title="Subscription">
      {view.explain && s.standing !== "good" ? <Notice tone={s.standing === "cancelled" ? "info" : "warn"}>{view.explain}</Notice> : null}
      <dl className="facts">
        <dt>Tier</dt>
        <dd data-testid="billing-tier" data-tier={s.tier}>
          {TIER_LABEL[s.tier]}
        </dd>
        <dt>Price</dt>
        <dd data-testid="billing-price">{formatCents(monthlyAmount(s), currency)} a month</dd>
        <dt>Standing</dt>
        <dd>
          <Badge tone={view.tone}>
            <span data-standing={s.standing}>{view.label}</span>
          </Badge>{" "}
          <span className="muted small">(Stripe: {s.status.replace(/_/g, " ")})</span>
        </dd>
        <dt>{s.cancelAtPeriodEnd ? "Ends on" : "Renews on"}</dt>
        <dd data-testid="billing-renewal">{unixDate(s.currentPeriodEnd)}</dd>
        <dt>Current period</dt>
        <dd>{unixPeriod(s.currentPeriodStart, s.currentPeriodEnd)}</dd>
        {s.failedAttempts > 0 ? (
          <>
            <dt>Failed payment attempts</dt>
            <dd data-testid="billing-failed-attempts">{s.failedAttempts}</dd>
          </>
        ) : null}
      </dl>
    </Card>
  );
}

function ChangeTier({ p, s }: { p: Platform; s: Subscription }) {
  const refresh = useRefresh(p.id);
  const [tier, setTier] = useState<Tier | "">("");
  const [done, setDone] = useState<TierChange | null>(null);
  const changeable = canChangeTier(s);
  const preview = useQuery({
    queryKey: ["billing-preview", p.id, tier],
    queryFn: ({ signal }) => billing.preview(p.id, tier as Tier, signal),
    enabled: changeable && tier !== "",
    retry: false,
    gcTime: 0,
    staleTime: 0,
  });
  const pv = preview.data;
  const now = pv ? prorationLines(pv.lines) : [];
  const charged = done?.invoice ? done.invoice.total : null;
  return (
    <Card title="Change tier">
      {done ? (
        <Notice tone="success">
          <p>
            Changed to {TIER_LABEL[done.subscription.tier]}.{" "}
            {done.invoice ? (
              <>
                Invoice charged: <strong data-testid="charged-amount">{formatCents(charged, done.invoice.currency)}</strong> ({done.invoice.status ?? "unknown"})
                {done.invoice.hostedInvoiceUrl ? (
                  <>
                    {" "}
                    <a href={done.invoice.hostedInvoiceUrl} target="_blank" rel="noopener noreferrer">
                      View the invoice
                    </a>
                  </>
                ) : null}
              </>
            ) : (
              "Nothing was invoiced."
            )}
          </p>
        </Notice>
      ) : null}
      {!changeable ? (
        <p className="muted">
          {s.cancelAtPeriodEnd || s.standing === "cancelling"
            ? "The tier cannot change while the subscription is being cancelled; resume it first."
            : s.standing === "cancelled"
              ? "The subscription has ended."
              : "The tier can change once the subscription is paid up."}
        </p>
      ) : (
        <>
          <div className="row">
            <Select
              label="New tier"
              value={tier}
              onChange={(e) => {
                setTier(e.target.value as Tier | "");
                setDone(null);
              }}
            >
              <option value="">Choose a tier</option>
              {otherTiers(s.tier).map((t) => (
                <option key={t} value={t}>
                  {tierOption(t)}
                </option>
              ))}
            </Select>
          </div>
          {tier !== "" && preview.isPending ? <Loading what="Asking Stripe what the change costs" /> : null}
          <ErrorNotice error={preview.error} onRetry={() => preview.refetch()} />
          {pv && tier !== "" ? (
            <div data-testid="tier-preview">
              <Table caption="What the change costs now" head={["Line", "Period", "Amount"]}>
                {now.map((l, i) => (
                  <tr key={i}>
                    <td>{l.description ?? (l.amount < 0 ? "Credit for unused time" : "Remaining time")}</td>
                    <td>{unixPeriod(l.periodStart, l.periodEnd)}</td>
                    <td>{formatCents(l.amount, pv.currency)}</td>
                  </tr>
                ))}
                <tr>
                  <th scope="row" colSpan={2}>
                    {pv.prorationAmount < 0 ? "Credited now" : "Charged now"}
                  </th>
                  <td>
                    <strong data-testid="preview-amount">{formatCents(pv.prorationAmount, pv.currency)}</strong>
                  </td>
                </tr>
              </Table>
              {now.length > 0 && linesTotal(now) !== pv.prorationAmount ? (
                <p className="muted small">The lines and the total differ: Stripe's total is the amount charged.</p>
              ) : null}
              <p className="muted">
                Then {formatCents(pv.newMonthlyAmount, pv.currency)} a month from {unixDate(s.currentPeriodEnd)}.
              </p>
              <ConfirmDialog
                trigger={<Button variant="primary">Change to {TIER_LABEL[pv.newTier]}</Button>}
                title={`Change to ${TIER_LABEL[pv.newTier]}?`}
                description={
                  <p>
                    {pv.prorationAmount < 0
                      ? `You are credited ${formatCents(-pv.prorationAmount, pv.currency)} for the rest of this period`
                      : `You are charged ${formatCents(pv.prorationAmount, pv.currency)} now for the rest of this period`}
                    , then {formatCents(pv.newMonthlyAmount, pv.currency)} a month.
                  </p>
                }
                confirmLabel="Change tier"
                onConfirm={async () => {
                  const r = await billing.changeTier(p.id, pv.newTier, pv.prorationDate);
                  setDone(r);
                  setTier("");
                  await refresh(r.subscription);
                }}
              />
            </div>
          ) : null}
        </>
      )}
    </Card>
  );
}

function CancelOrResume({ p, s }: { p: Platform; s: Subscription }) {
  const refresh = useRefresh(p.id);
  const ends = unixDate(s.currentPeriodEnd);
  if (canResume(s)) {
    return (
      <Card title="Cancellation">
        <p>The subscription ends on {ends}. Resuming keeps it, and the platform, going.</p>
        <ConfirmDialog
          trigger={<Button variant="primary">Resume subscription</Button>}
          title="Resume the subscription?"
          description={`The subscription renews on ${ends} as before, and the platform stays active.`}
          confirmLabel="Resume"
          onConfirm={async () => refresh(await billing.resume(p.id))}
        />
      </Card>
    );
  }
  if (!canCancel(s)) return null;
  return (
    <Card title="Cancellation">
      <ConfirmDialog
        trigger={<Button variant="danger">Cancel subscription</Button>}
        title="Cancel the subscription?"
        description={`Nothing more is charged. The platform stays active until the end of the period, ${ends}, then is cancelled. You can resume until then.`}
        confirmLabel="Cancel subscription"
        danger
        onConfirm={async () => refresh(await billing.cancel(p.id))}
      />
    </Card>
  );
}

function Invoices({ id }: { id: string }) {
  const { q, items } = useCursorPages<Invoice>(invoicesKey(id), (cursor) => billing.invoices(id, cursor));
  return (
    <Card title="Invoices">
      {q.isPending ? <Loading what="Loading invoices" /> : null}
      {q.error ? <ErrorNotice error={q.error} onRetry={() => q.refetch()} /> : null}
      {q.data && items.length === 0 ? <Empty>No invoices yet.</Empty> : null}
      {items.length > 0 ? (
        <>
          <Table caption="Invoices" head={["Date", "Period", "Amount", "Status", null]}>
            {items.map((inv, i) => (
              <tr key={inv.id ?? `i${i}`} data-invoice={inv.id ?? undefined}>
                <td>{unixDate(inv.created)}</td>
                <td>{(({ start, end }) => unixPeriod(start, end))(invoicePeriod(inv))}</td>
                <td>{formatCents(inv.total, inv.currency)}</td>
                <td>
                  <Badge tone={invoiceTone(inv)}>{invoiceStatus(inv)}</Badge>
                </td>
                <td>
                  {inv.hostedInvoiceUrl ? (
                    <a href={inv.hostedInvoiceUrl} target="_blank" rel="noopener noreferrer" aria-label={`View the invoice of ${unixDate(inv.created)}`}>
                      View
                    </a>
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
          <LoadMore q={q} />
        </>
      ) : null}
    </Card>
  );
}
