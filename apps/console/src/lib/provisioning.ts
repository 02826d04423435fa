// How provisioning's steps read to a person, and how far a job or onboarding has come.
import type { JobStep, OnboardingSession, OnboardingStep } from "../api/types";

const FIXED: Record<string, string> = {
  create_platform: "Create the platform record",
  create_subscription: "Create its Stripe customer and subscription",
  request_bootstrap: "Ask provisioning to bootstrap it",
  create_auth_db: "Create the auth database (D1)",
  migrate_auth_db: "Migrate the auth database",
  upload_auth_worker: "Deploy the auth Worker",
  set_auth_secret: "Set the auth Worker's secret",
  route_auth_domain: "Route the auth domain",
  activate: "Activate the platform",
};

/** `create_auth_db` → "Create the auth database"; `register_hostname:x` → "Register hostname x". */
export function stepLabel(name: string): string {
  if (FIXED[name]) return FIXED[name];
  const [head, ...rest] = name.split(":");
  const arg = rest.join(":");
  const words = head.replace(/_/g, " ");
  const text = words.charAt(0).toUpperCase() + words.slice(1);
  return arg ? `${text} ${arg}` : text;
}

type AnyStep = Pick<OnboardingStep, "status"> | Pick<JobStep, "status">;

export function progress(steps: readonly AnyStep[]): { done: number; total: number; percent: number } {
  const total = steps.length;
  const done = steps.filter((s) => s.status === "done").length;
  return { done, total, percent: total === 0 ? 0 : Math.round((done / total) * 100) };
}

/** Whether the session has reached an end (active or failed): stop polling. */
export function isSettled(s: Pick<OnboardingSession, "status">): boolean {
  return s.status === "active" || s.status === "failed";
}

/** Poll quickly while a job is young, then back off (the console must not hammer the API). */
export function pollInterval(elapsedMs: number): number {
  if (elapsedMs < 30_000) return 1_000;
  if (elapsedMs < 120_000) return 3_000;
  return 10_000;
}
