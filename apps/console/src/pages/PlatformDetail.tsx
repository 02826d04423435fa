import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCursorPages } from "../api/pages";
import type { ReactNode } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { z } from "zod";
import { ApiError } from "../api/http";
import { registry } from "../api/registry";
import type { Page, Platform } from "../api/types";
import { can, useMe } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Badge, Button, Card, Empty, ErrorNotice, Field, LoadMore, Loading, Notice, PageHeader, Select, StatusBadge, Table } from "../components/ui";
import { dateTime } from "../lib/format";
import { ACTION_TEXT, allowedActions, blocksWrites, type Action } from "../lib/lifecycle";
import { stepLabel } from "../lib/provisioning";
import { Billing } from "./PlatformBilling";
import { useZodForm } from "../lib/useZodForm";
import { name, slug, slugFrom } from "../lib/validation";

const TABS = ["overview", "billing", "tenants", "stacks", "resources", "dns", "jobs", "lifecycle", "audit"] as const;
type Tab = (typeof TABS)[number];
const TAB_LABEL: Record<Tab, string> = {
  overview: "Overview",
  billing: "Billing",
  tenants: "Tenants",
  stacks: "Stacks",
  resources: "Resources",
  dns: "DNS",
  jobs: "Provisioning jobs",
  lifecycle: "Lifecycle",
  audit: "Audit log",
};

export function PlatformDetail() {
  const { id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get("tab") ?? "") ? (params.get("tab") as Tab) : "overview";
  const platform = useQuery({ queryKey: ["platform", id], queryFn: () => registry.get(id), retry: false });
  if (platform.isPending) return <Loading what="Loading the platform" />;
  if (platform.error) {
    const missing = platform.error instanceof ApiError && platform.error.status === 404;
    return (
      <>
        <PageHeader title={missing ? "Platform not found" : "Platform"} />
        {missing ? <Empty>There is no platform {id} that you can see.</Empty> : <ErrorNotice error={platform.error} onRetry={() => platform.refetch()} />}
        <Link to="/platforms">All platforms</Link>
      </>
    );
  }
  const p = platform.data;
  return (
    <>
      <PageHeader title={p.name}>
        <StatusBadge status={p.status} />
      </PageHeader>
      <div className="tabs" role="tablist" aria-label="Platform sections">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls="tab-panel"
            onClick={() => setParams(t === "overview" ? {} : { tab: t }, { replace: true })}
          >
            {TAB_LABEL[t]}
          </button>
        ))}
      </div>
      <div id="tab-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "overview" ? <Overview p={p} /> : null}
        {tab === "billing" ? <Billing p={p} /> : null}
        {tab === "tenants" ? <Tenants p={p} /> : null}
        {tab === "stacks" ? (
          <Paged id={id} what="stacks" load={registry.stacks} head={["Name", "Status", "Created"]} row={(s) => [s.name, s.status, dateTime(s.createdAt)]} />
        ) : null}
        {tab === "resources" ? (
          <Paged
            id={id}
            what="resources"
            load={registry.resources}
            head={["Kind", "Name", "Environment", "Cloudflare id", "Status"]}
            row={(r) => [r.kind, <code key="n">{r.name}</code>, r.environment, <code key="c">{r.cloudflareId ?? "—"}</code>, r.status]}
          />
        ) : null}
        {tab === "dns" ? (
          <Paged
            id={id}
            what="DNS records"
            load={registry.dns}
            head={["Hostname", "Environment", "Target", "SSL"]}
            row={(d) => [
              <code key="h">{d.hostname}</code>,
              d.environment,
              <code key="t">{d.target}</code>,
              <Badge key="s" tone={d.sslStatus === "active" ? "good" : d.sslStatus === "failed" ? "bad" : "progress"}>
                {d.removed ? "removed" : d.sslStatus}
              </Badge>,
            ]}
          />
        ) : null}
        {tab === "jobs" ? <Jobs id={id} /> : null}
        {tab === "lifecycle" ? (
          <Paged
            id={id}
            what="lifecycle events"
            load={registry.lifecycle}
            head={["When", "From", "To", "By", "Reason"]}
            row={(e) => [dateTime(e.createdAt), e.fromStatus ?? "—", e.toStatus, e.actor, e.reason ?? ""]}
          />
        ) : null}
        {tab === "audit" ? (
          <Paged
            id={id}
            what="audit entries"
            load={registry.audit}
            head={["When", "Actor", "Action", "Target", "Request id"]}
            row={(a) => [dateTime(a.createdAt), a.actor, a.action, <code key="t">{a.target}</code>, <code key="r">{a.requestId}</code>]}
          />
        ) : null}
      </div>
    </>
  );
}

function Overview({ p }: { p: Platform }) {
  const me = useMe();
  const qc = useQueryClient();
  const manage = can(me.data, "platforms:manage");
  const refresh = async (next?: Platform) => {
    if (next) qc.setQueryData(["platform", p.id], next);
    await qc.invalidateQueries({ queryKey: ["platform", p.id] });
    await qc.invalidateQueries({ queryKey: ["platforms"] });
  };
  const act = async (a: Action, reason: string) => {
    const next = a === "delete" ? await registry.remove(p.id) : await registry.transition(p.id, a, reason || undefined);
    await refresh(next);
  };
  return (
    <>
      {blocksWrites(p.status) ? (
        <Notice tone="warn">
          This platform is {p.status}
          {p.suspensionReason ? ` (${p.suspensionReason})` : ""}: changes to it are refused until it is restored.
        </Notice>
      ) : null}
      <Card title="Details">
        <dl className="facts">
          <dt>Id</dt>
          <dd>
            <code>{p.id}</code>
          </dd>
          <dt>Slug</dt>
          <dd>
            <code>{p.slug}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={p.status} />
          </dd>
          <dt>Tier</dt>
          <dd>{p.tier}</dd>
          <dt>Created</dt>
          <dd>{dateTime(p.createdAt)}</dd>
          {p.suspendedAt ? (
            <>
              <dt>Suspended</dt>
              <dd>
                {dateTime(p.suspendedAt)} by {p.suspendedBy ?? "—"}
                {p.suspensionReason ? `: ${p.suspensionReason}` : ""}
              </dd>
            </>
          ) : null}
          {p.cancelledAt ? (
            <>
              <dt>Cancellation</dt>
              <dd>
                {dateTime(p.cancelledAt)}
                {p.cancellationReason ? `: ${p.cancellationReason}` : ""}
              </dd>
            </>
          ) : null}
        </dl>
      </Card>
      {manage ? (
        <Card title="Lifecycle">
          <div className="row">
            {allowedActions(p.status).map((a) => (
              <ConfirmDialog
                key={a}
                trigger={<Button variant={ACTION_TEXT[a].danger ? "danger" : "primary"}>{ACTION_TEXT[a].label}</Button>}
                title={`${ACTION_TEXT[a].label} ${p.name}?`}
                description={ACTION_TEXT[a].confirm}
                confirmLabel={ACTION_TEXT[a].label}
                danger={ACTION_TEXT[a].danger}
                reasonLabel={a === "suspend" || a === "cancel" ? "Reason (optional)" : undefined}
                onConfirm={(reason) => act(a, reason)}
              />
            ))}
          </div>
          {allowedActions(p.status).length === 0 ? <p className="muted">No action is possible in this status.</p> : null}
        </Card>
      ) : null}
    </>
  );
}

function Paged<T extends { id: string }>({
  id,
  what,
  load,
  head,
  row,
}: {
  id: string;
  what: string;
  load: (id: string, cursor?: string | null) => Promise<Page<T>>;
  head: string[];
  row: (item: T) => ReactNode[];
}) {
  const { q, items } = useCursorPages(["platform", id, what], (cursor) => load(id, cursor));
  if (q.isPending) return <Loading what={`Loading ${what}`} />;
  if (q.error) return <ErrorNotice error={q.error} onRetry={() => q.refetch()} />;
  if (items.length === 0) return <Empty>No {what} yet.</Empty>;
  return (
    <>
      <Table caption={what} head={head}>
          {items.map((item) => (
            <tr key={item.id}>
              {row(item).map((cell, i) => (
                <td key={i}>{cell}</td>
              ))}
            </tr>
          ))}
      </Table>
      <LoadMore q={q} />
    </>
  );
}

const tenantForm = z.object({ name, slug, parentId: z.string() });

function Tenants({ p }: { p: Platform }) {
  const me = useMe();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ["platform", p.id, "tenants"], queryFn: () => registry.tenants(p.id) });
  const manage = can(me.data, "platforms:manage") && !blocksWrites(p.status);
  const remove = useMutation({
    mutationFn: (tenantId: string) => registry.removeTenant(p.id, tenantId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["platform", p.id, "tenants"] }),
  });
  const { form, submit, formError } = useZodForm(tenantForm, { defaultValues: { name: "", slug: "", parentId: "" } });
  const all = list.data?.data ?? [];
  const top = all.filter((t) => !t.parentId);
  const children = (id: string) => all.filter((t) => t.parentId === id);
  return (
    <>
      {list.isPending ? <Loading /> : null}
      <ErrorNotice error={list.error ?? remove.error} />
      {list.data && all.length === 0 ? <Empty>No tenants on this platform yet.</Empty> : null}
      {top.length > 0 ? (
        <ul className="tree" aria-label="Tenants">
          {top.map((t) => (
            <li key={t.id}>
              <TenantLine name={t.name} slug={t.slug} manage={manage} onRemove={() => remove.mutateAsync(t.id)} />
              {children(t.id).length > 0 ? (
                <ul>
                  {children(t.id).map((c) => (
                    <li key={c.id}>
                      <TenantLine name={c.name} slug={c.slug} manage={manage} onRemove={() => remove.mutateAsync(c.id)} />
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {manage ? (
        <Card title="Add a tenant">
          <form
            noValidate
            onSubmit={submit(async (v) => {
              await registry.createTenant(p.id, { name: v.name, slug: v.slug, parentId: v.parentId || null });
              form.reset();
              await qc.invalidateQueries({ queryKey: ["platform", p.id, "tenants"] });
            })}
          >
            <div className="row">
              <Field
                label="Name"
                {...form.register("name", {
                  onChange: (e) => {
                    if (!form.formState.dirtyFields.slug) form.setValue("slug", slugFrom(e.target.value));
                  },
                })}
                error={form.formState.errors.name?.message}
              />
              <Field label="Slug" {...form.register("slug")} error={form.formState.errors.slug?.message} />
              <Select label="Parent" {...form.register("parentId")}>
                <option value="">none (a tenant)</option>
                {top.map((t) => (
                  <option key={t.id} value={t.id}>
                    sub-tenant of {t.name}
                  </option>
                ))}
              </Select>
            </div>
            <ErrorNotice error={formError} />
            <Button type="submit" busy={form.formState.isSubmitting}>
              Add tenant
            </Button>
          </form>
        </Card>
      ) : null}
    </>
  );
}

function TenantLine({ name, slug, manage, onRemove }: { name: string; slug: string; manage: boolean; onRemove: () => Promise<unknown> }) {
  return (
    <span className="tenant-line">
      {name} <code>{slug}</code>{" "}
      {manage ? (
        <ConfirmDialog
          trigger={<Button variant="link">Delete</Button>}
          title={`Delete ${name}?`}
          description="The tenant and its sub-tenants are removed from the platform."
          confirmLabel="Delete"
          danger
          onConfirm={onRemove}
        />
      ) : null}
    </span>
  );
}

function Jobs({ id }: { id: string }) {
  const qc = useQueryClient();
  const jobs = useQuery({
    queryKey: ["platform", id, "jobs"],
    queryFn: () => registry.jobs(id),
    refetchInterval: (q) => (q.state.data?.data.some((j) => j.status === "QUEUED" || j.status === "RUNNING") ? 2000 : false),
  });
  const retry = useMutation({
    mutationFn: (jobId: string) => registry.retryJob(jobId),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["platform", id, "jobs"] }),
  });
  if (jobs.isPending) return <Loading what="Loading jobs" />;
  if (jobs.error) return <ErrorNotice error={jobs.error} onRetry={() => jobs.refetch()} />;
  if (jobs.data.data.length === 0) return <Empty>No provisioning jobs.</Empty>;
  return (
    <>
      <ErrorNotice error={retry.error} />
      {jobs.data.data.map((j) => (
        <Card
          key={j.jobId}
          title={`${j.type.replace(/_/g, " ").toLowerCase()} · ${dateTime(j.createdAt)}`}
          actions={
            <span className="row">
              <Badge tone={j.status === "SUCCEEDED" ? "good" : j.status === "FAILED" ? "bad" : "progress"}>{j.status}</Badge>
              {j.status === "FAILED" ? (
                <Button busy={retry.isPending} onClick={() => retry.mutate(j.jobId)}>
                  Retry
                </Button>
              ) : null}
            </span>
          }
        >
          {j.lastError ? <p className="field-error">{j.lastError}</p> : null}
          <ol className="steps-list">
            {j.steps.map((s) => (
              <li key={s.name}>
                <Badge tone={s.status === "done" ? "good" : s.status === "failed" ? "bad" : s.status === "running" ? "progress" : "neutral"}>
                  {s.status.replace("_", " ")}
                </Badge>{" "}
                {stepLabel(s.name)} <span className="muted small">({s.attempts} attempt{s.attempts === 1 ? "" : "s"})</span>
                {s.lastError ? <div className="field-error">{s.lastError}</div> : null}
              </li>
            ))}
          </ol>
        </Card>
      ))}
    </>
  );
}
