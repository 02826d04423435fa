// IAM's NNO endpoints (Better Auth's own are called through the auth client).
import { api } from "./http";
import type { ApiKey, CreatedApiKey, Grant, Me, RoleMapping, TenantRole } from "./types";

export const iam = {
  me: () => api<Me>("/api/v1/iam/nno/session"),
  roles: (orgId: string) => api<{ orgId: string; roles: RoleMapping[] }>("/api/v1/iam/nno/roles", { query: { orgId } }),
  setRole: (orgId: string, role: TenantRole, permissions: string[]) =>
    api<unknown>("/api/v1/iam/nno/roles", { method: "POST", body: { orgId, role, permissions } }),
  grants: (orgId: string) => api<{ grants: Grant[] }>("/api/v1/iam/nno/grants", { query: { orgId } }),
  addGrant: (body: { orgId: string; userId: string; permission: string; granted: boolean; expiresAt?: number }) =>
    api<Grant>("/api/v1/iam/nno/grants", { method: "POST", body }),
  removeGrant: (id: string) => api<unknown>(`/api/v1/iam/nno/grants/${encodeURIComponent(id)}`, { method: "DELETE" }),
  keys: (orgId?: string) => api<{ keys: ApiKey[] }>("/api/v1/iam/nno/apikey", { query: { orgId } }),
  createKey: (body: { name: string; scopes: string[]; orgId?: string; expiresIn?: number }) =>
    api<CreatedApiKey>("/api/v1/iam/nno/apikey", { method: "POST", body }),
  revokeKey: (id: string) => api<unknown>(`/api/v1/iam/nno/apikey/${encodeURIComponent(id)}`, { method: "DELETE" }),
};
