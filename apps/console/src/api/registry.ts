// Registry, onboarding and provisioning calls (gateway paths).
import { api } from "./http";
import type {
  AuditEntry,
  DnsRecord,
  Entity,
  Job,
  LifecycleEvent,
  OnboardingSession,
  Page,
  Platform,
  PlatformStatus,
  Resource,
  SlugAvailability,
  Stack,
  Tier,
} from "./types";

const p = (id: string) => `/api/v1/platforms/${encodeURIComponent(id)}`;

export interface PlatformFilter {
  status?: PlatformStatus | "";
  tier?: Tier | "";
  cursor?: string | null;
  limit?: number;
}

export const registry = {
  list: (f: PlatformFilter = {}) =>
    api<Page<Platform>>("/api/v1/platforms", {
      query: { status: f.status, tier: f.tier, cursor: f.cursor, limit: f.limit ?? 20 },
    }),
  get: (id: string) => api<Platform>(p(id)),
  update: (id: string, body: { name?: string; tier?: Tier }) => api<Platform>(p(id), { method: "PATCH", body }),
  remove: (id: string) => api<Platform>(p(id), { method: "DELETE" }),
  transition: (id: string, action: "suspend" | "restore" | "cancel", reason?: string) =>
    api<Platform>(`${p(id)}/${action}`, { method: "POST", body: reason ? { reason } : {} }),

  tenants: (id: string, cursor?: string | null) =>
    api<Page<Entity>>(`${p(id)}/tenants`, { query: { cursor, limit: 100 } }),
  createTenant: (id: string, body: { name: string; slug: string; parentId?: string | null }) =>
    api<Entity>(`${p(id)}/tenants`, { method: "POST", body }),
  removeTenant: (id: string, tenantId: string) =>
    api<unknown>(`${p(id)}/tenants/${encodeURIComponent(tenantId)}`, { method: "DELETE" }),

  stacks: (id: string, cursor?: string | null) => api<Page<Stack>>(`${p(id)}/stacks`, { query: { cursor } }),
  resources: (id: string, cursor?: string | null) =>
    api<Page<Resource>>(`${p(id)}/resources`, { query: { cursor, limit: 100 } }),
  dns: (id: string, cursor?: string | null) => api<Page<DnsRecord>>(`${p(id)}/dns`, { query: { cursor, limit: 100 } }),
  audit: (id: string, cursor?: string | null) => api<Page<AuditEntry>>(`${p(id)}/audit`, { query: { cursor } }),
  lifecycle: (id: string, cursor?: string | null) =>
    api<Page<LifecycleEvent>>(`${p(id)}/lifecycle`, { query: { cursor } }),
  jobs: (id: string, cursor?: string | null) =>
    api<Page<Job>>("/api/v1/provisioning/jobs", { query: { platformId: id, cursor } }),
  retryJob: (jobId: string) =>
    api<Job>(`/api/v1/provisioning/jobs/${encodeURIComponent(jobId)}/retry`, { method: "POST" }),
};

export const onboarding = {
  slugAvailability: (slug: string, signal?: AbortSignal) =>
    api<SlugAvailability>("/api/v1/onboarding/slug-availability", { query: { slug }, signal }),
  start: (body: { platformName: string; slug: string; tier: Tier }, idempotencyKey: string) =>
    api<OnboardingSession>("/api/v1/onboarding/sessions", {
      method: "POST",
      body,
      headers: { "idempotency-key": idempotencyKey },
    }),
  get: (id: string) => api<OnboardingSession>(`/api/v1/onboarding/sessions/${encodeURIComponent(id)}`),
  retry: (id: string) =>
    api<OnboardingSession>(`/api/v1/onboarding/sessions/${encodeURIComponent(id)}/retry`, { method: "POST" }),
};
