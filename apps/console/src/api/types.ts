// The gateway's answers the console reads, as the OpenAPI document
// (GET /api/v1/openapi.json) describes them.

export type PlatformStatus =
  | "pending"
  | "provisioning"
  | "active"
  | "suspended"
  | "pending_cancellation"
  | "cancelled"
  | "deleted";
export type Tier = "starter" | "growth" | "scale";
export const TIERS: readonly Tier[] = ["starter", "growth", "scale"];
export const STATUSES: readonly PlatformStatus[] = [
  "pending",
  "provisioning",
  "active",
  "suspended",
  "pending_cancellation",
  "cancelled",
  "deleted",
];

export interface Page<T> {
  data: T[];
  pagination: { hasMore: boolean; nextCursor: string | null; total: number };
}

export interface Platform {
  id: string;
  name: string;
  slug: string;
  tier: Tier;
  status: PlatformStatus;
  class: "platform" | "user_project";
  ownerTenantId: string;
  ownerUserId: string | null;
  suspendedAt: number | null;
  suspendedBy: "operator" | "owner" | null;
  suspensionReason: string | null;
  cancelledAt: number | null;
  cancellationReason: string | null;
  deletedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface OnboardingStep {
  name: string;
  status: string;
  attempts?: number;
  error?: string | null;
  cloudflareId?: string | null;
}

export interface OnboardingSession {
  id: string;
  platformId: string;
  slug: string;
  status: "provisioning" | "active" | "failed";
  platformStatus: PlatformStatus;
  jobId: string | null;
  jobStatus: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | null;
  failedStep: string | null;
  error: string | null;
  steps: OnboardingStep[];
  createdAt: number;
  updatedAt: number;
}

export interface SlugAvailability {
  slug: string;
  available: boolean;
  reason: "invalid" | "reserved" | "taken" | null;
  message: string | null;
}

export interface Entity {
  id: string;
  platformId: string;
  parentId: string | null;
  kind: "tenant" | "sub_tenant";
  name: string;
  slug: string;
  createdAt: number;
  updatedAt: number;
}

export interface Stack {
  id: string;
  name: string;
  status: string;
  tenantId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface Resource {
  id: string;
  kind: string;
  name: string;
  cloudflareId: string | null;
  environment: string;
  stackId: string;
  status: "active" | "removed";
  createdAt: number;
  updatedAt: number;
}

export interface DnsRecord {
  id: string;
  hostname: string;
  environment: string;
  target: string;
  sslStatus: "pending" | "active" | "failed";
  customHostnameId: string | null;
  stackId: string;
  removed: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
  requestId: string;
  createdAt: number;
}

export interface LifecycleEvent {
  id: string;
  fromStatus: string | null;
  toStatus: string;
  actor: string;
  reason: string | null;
  createdAt: number;
}

export interface JobStep {
  name: string;
  status: "pending" | "running" | "done" | "failed" | "rolled_back";
  attempts: number;
  cloudflareId?: string;
  lastError?: string;
}

export interface Job {
  jobId: string;
  platformId: string;
  type: "BOOTSTRAP_PLATFORM" | "DEPROVISION_PLATFORM" | "RECONCILE_PLATFORM";
  status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED";
  attempts: number;
  lastError?: string;
  steps: JobStep[];
  createdAt: number;
  updatedAt: number;
}

export type TenantRole = "owner" | "admin" | "member";

export interface Me {
  platformId: string | null;
  platformRole?: string;
  user: { id: string; email?: string; name?: string };
  session?: { id: string; activeOrganizationId: string | null; expiresAt: string };
  tenant?: { id: string; role: TenantRole };
  permissions: string[];
}

export interface RoleMapping {
  role: TenantRole;
  builtin: string[];
  permissions: string[];
}

export interface Grant {
  id: string;
  orgId: string;
  userId: string;
  permission: string;
  granted: boolean;
  grantedBy: string;
  expiresAt: number | null;
  createdAt: number;
}

export interface ApiKey {
  id: string;
  name: string;
  start: string;
  scopes: string[];
  owner: { type: "tenant"; orgId: string; createdBy: string } | { type: "user"; userId: string };
  rateLimit: { max: number; windowSeconds: number };
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

// Billing (gateway `/api/v1/billing/...`). Amounts are cents; times are Unix SECONDS
// (Stripe's), unlike the registry's milliseconds.

/** Stripe's subscription status, or `pending` before Stripe has one. */
export type SubscriptionStatus =
  | "pending"
  | "active"
  | "trialing"
  | "past_due"
  | "unpaid"
  | "canceled"
  | "incomplete"
  | "incomplete_expired"
  | "paused";

/** What the subscription means for the platform. */
export type Standing = "good" | "grace" | "overdue" | "cancelling" | "cancelled";

export interface Subscription {
  platformId: string;
  tier: Tier;
  status: SubscriptionStatus;
  standing: Standing;
  cancelAtPeriodEnd: boolean;
  currentPeriodStart: number | null;
  /** The renewal date. */
  currentPeriodEnd: number | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** Cents per month. */
  amount: number | null;
  currency: string | null;
  failedAttempts: number;
}

export interface InvoiceLine {
  description: string | null;
  /** Cents; negative for a credit. */
  amount: number;
  proration: boolean;
  periodStart: number | null;
  periodEnd: number | null;
}

export interface ProrationPreview {
  platformId: string;
  tier: Tier;
  newTier: Tier;
  prorationDate: number;
  currency: string;
  /** What the change costs now (negative: a credit). */
  prorationAmount: number;
  amountDue: number;
  newMonthlyAmount: number;
  lines: InvoiceLine[];
}

export type InvoiceStatus = "draft" | "open" | "paid" | "uncollectible" | "void";

export interface Invoice {
  id: string | null;
  status: InvoiceStatus | null;
  currency: string;
  amountDue: number;
  amountPaid: number;
  total: number;
  attemptCount: number;
  nextPaymentAttempt: number | null;
  periodStart: number | null;
  periodEnd: number | null;
  created: number | null;
  hostedInvoiceUrl: string | null;
  lines: InvoiceLine[];
}

export interface TierChange {
  subscription: Subscription;
  invoice: Invoice | null;
}

/** Billing's pages carry no total. */
export interface CursorPage<T> {
  data: T[];
  pagination: { hasMore: boolean; nextCursor: string | null; total?: number };
}
