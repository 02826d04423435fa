import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { z } from "zod";
import { onboarding } from "../api/registry";
import { TIERS, type SlugAvailability } from "../api/types";
import { Badge, Button, Card, ErrorNotice, Field, Loading, Notice, PageHeader, Select } from "../components/ui";
import { isSettled, pollInterval, progress, stepLabel } from "../lib/provisioning";
import { useZodForm } from "../lib/useZodForm";
import { name, slug, slugFrom } from "../lib/validation";

const schema = z.object({ platformName: name, slug, tier: z.enum(["starter", "growth", "scale"]) });

/** Slug availability as the user types, debounced, the last answer winning. */
function useSlugAvailability(value: string, valid: boolean) {
  const [state, setState] = useState<{ slug: string; answer: SlugAvailability | null; error: unknown }>({ slug: "", answer: null, error: null });
  useEffect(() => {
    if (!valid) return;
    const ctl = new AbortController();
    const t = setTimeout(() => {
      onboarding
        .slugAvailability(value, ctl.signal)
        .then((answer) => setState({ slug: value, answer, error: null }))
        .catch((error) => {
          if ((error as Error).name !== "AbortError") setState({ slug: value, answer: null, error });
        });
    }, 300);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [value, valid]);
  return state.slug === value ? state : { slug: value, answer: null, error: null };
}

export function Onboard() {
  const navigate = useNavigate();
  const qc = useQueryClient();
  // One key per wizard: a double submit or a retried request returns the same session.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const { form, submit, formError } = useZodForm(schema, { defaultValues: { platformName: "", slug: "", tier: "starter" } });
  const nameValue = form.watch("platformName");
  const slugValue = form.watch("slug") ?? "";
  const slugTouched = form.formState.dirtyFields.slug;
  useEffect(() => {
    if (!slugTouched) form.setValue("slug", slugFrom(nameValue ?? ""), { shouldValidate: !!nameValue });
  }, [nameValue, slugTouched, form]);
  const slugValid = slug.safeParse(slugValue).success;
  const availability = useSlugAvailability(slugValue, slugValid);
  const taken = availability.answer && !availability.answer.available;
  const slugHint = !slugValid
    ? "3 to 40 of a-z, 0-9 and '-', starting with a letter"
    : availability.answer
      ? availability.answer.available
        ? `${slugValue} is available`
        : null
      : "checking…";
  return (
    <>
      <PageHeader title="Onboard a platform" />
      <Card>
        <form
          noValidate
          onSubmit={submit(async (v) => {
            if (taken) return;
            const s = await onboarding.start({ platformName: v.platformName, slug: v.slug, tier: v.tier }, idempotencyKey);
            await qc.invalidateQueries({ queryKey: ["platforms"] });
            navigate(`/onboarding/${s.id}`);
          })}
        >
          <Field label="Platform name" {...form.register("platformName")} error={form.formState.errors.platformName?.message} />
          <Field
            label="Slug"
            hint={<span aria-live="polite" data-testid="slug-status">{slugHint}</span>}
            {...form.register("slug")}
            error={form.formState.errors.slug?.message ?? (taken ? availability.answer?.message ?? "this slug is not available" : undefined)}
          />
          <Select label="Tier" {...form.register("tier")}>
            {TIERS.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </Select>
          <ErrorNotice error={formError ?? availability.error} />
          <Button type="submit" variant="primary" busy={form.formState.isSubmitting} disabled={!!taken}>
            Create platform
          </Button>
        </form>
      </Card>
    </>
  );
}

const STEP_BADGE: Record<string, "neutral" | "progress" | "good" | "bad" | "warn"> = {
  pending: "neutral",
  running: "progress",
  done: "good",
  failed: "bad",
  rolled_back: "warn",
};

/** Provisioning progress of one onboarding, step by step, as it happens. */
export function OnboardingProgress() {
  const { id = "" } = useParams();
  const started = useRef(Date.now());
  const qc = useQueryClient();
  const session = useQuery({
    queryKey: ["onboarding", id],
    queryFn: () => onboarding.get(id),
    refetchInterval: (q) => (q.state.data && isSettled(q.state.data) ? false : pollInterval(Date.now() - started.current)),
  });
  const retry = useMutation({
    mutationFn: () => onboarding.retry(id),
    onSuccess: (s) => {
      started.current = Date.now();
      qc.setQueryData(["onboarding", id], s);
    },
  });
  useEffect(() => {
    if (session.data?.status === "active") qc.invalidateQueries({ queryKey: ["platforms"] });
  }, [session.data?.status, qc]);
  if (session.isPending) return <Loading what="Loading the onboarding" />;
  if (session.error) return <ErrorNotice error={session.error} onRetry={() => session.refetch()} />;
  const s = session.data;
  const p = progress(s.steps);
  return (
    <>
      <PageHeader title={`Onboarding ${s.slug}`} />
      <Card>
        <div
          className="progress"
          role="progressbar"
          aria-label="Provisioning progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={p.percent}
        >
          <div className="progress-bar" style={{ width: `${p.percent}%` }} />
        </div>
        <p aria-live="polite" data-testid="onboarding-status" data-status={s.status}>
          {s.status === "active"
            ? "Your platform is active."
            : s.status === "failed"
              ? "Provisioning stopped at a step that failed."
              : `Provisioning: ${p.done} of ${p.total} steps done…`}
        </p>
        <ol className="steps-list">
          {s.steps.map((step) => (
            <li key={step.name} data-step={step.name} data-step-status={step.status}>
              <Badge tone={STEP_BADGE[step.status] ?? "neutral"}>{step.status.replace("_", " ")}</Badge> {stepLabel(step.name)}
              {step.error ? <div className="field-error">{step.error}</div> : null}
            </li>
          ))}
        </ol>
        {s.status === "failed" ? (
          <>
            <Notice tone="warn">
              {s.failedStep ? `${stepLabel(s.failedStep)} failed` : "A step failed"}
              {s.error ? `: ${s.error}` : "."} Retrying resumes where it stopped.
            </Notice>
            <ErrorNotice error={retry.error} />
            <Button variant="primary" busy={retry.isPending} onClick={() => retry.mutate()}>
              Retry
            </Button>
          </>
        ) : null}
        {s.status === "active" ? (
          <Link className="btn btn-primary" to={`/platforms/${s.platformId}`}>
            Open the platform
          </Link>
        ) : null}
      </Card>
    </>
  );
}
