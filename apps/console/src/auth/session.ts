// Who is signed in, as the gateway sees it (IAM's nno/session: user, platform role,
// active tenant and role, effective permissions), cached by react-query and refreshed
// after anything that changes it (sign-in, tenant switch, sign-out).
import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/http";
import { iam } from "../api/iam";
import type { Me } from "../api/types";
import { authClient, authCall } from "./client";

export const ME_KEY = ["me"] as const;

async function loadMe(): Promise<Me | null> {
  try {
    return await iam.me();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export function useMe() {
  return useQuery({ queryKey: ME_KEY, queryFn: loadMe, staleTime: 30_000, retry: 1 });
}

export function isOperator(me: Me | null | undefined): boolean {
  return me?.platformRole === "platform-admin";
}

export function can(me: Me | null | undefined, permission: string): boolean {
  if (!me) return false;
  return isOperator(me) || me.permissions.includes(permission);
}

/** Everything cached belonged to the previous identity or tenant: start again. */
export async function identityChanged(qc: QueryClient) {
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== "me" });
  await qc.invalidateQueries({ queryKey: ME_KEY });
  await qc.refetchQueries({ queryKey: ME_KEY });
}

export function useSignOut() {
  const qc = useQueryClient();
  return async () => {
    await authCall(authClient.signOut());
    qc.clear();
  };
}

export function useOrganizations() {
  const me = useMe();
  return useQuery({
    queryKey: ["orgs", me.data?.user.id],
    enabled: !!me.data,
    queryFn: () => authCall(authClient.organization.list()),
  });
}
