import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { z } from "zod";
import { iam } from "../api/iam";
import type { RoleMapping } from "../api/types";
import { authCall, authClient } from "../auth/client";
import { can, useMe } from "../auth/session";
import { Button, Card, Empty, ErrorNotice, Field, Loading, PageHeader, Select, Table } from "../components/ui";
import { dateTime } from "../lib/format";
import { useZodForm } from "../lib/useZodForm";
import { featurePermission, splitList } from "../lib/validation";

export function RolesAndGrants() {
  const me = useMe();
  const orgId = me.data?.session?.activeOrganizationId ?? "";
  const roles = useQuery({ queryKey: ["roles", orgId], enabled: !!orgId, queryFn: () => iam.roles(orgId) });
  const mayRoles = can(me.data, "iam:manage-roles");
  const mayGrants = can(me.data, "iam:manage-grants");
  if (!orgId) return <Empty>Select a tenant first.</Empty>;
  return (
    <>
      <PageHeader title="Roles and grants">
        <Link to="/tenant">Back to the tenant</Link>
      </PageHeader>
      <Card title="What each role may do">
        {roles.isPending ? <Loading /> : null}
        <ErrorNotice error={roles.error} onRetry={() => roles.refetch()} />
        {roles.data?.roles.map((r) => <RoleRow key={r.role} orgId={orgId} mapping={r} editable={mayRoles} />)}
      </Card>
      {mayGrants ? <Grants orgId={orgId} /> : null}
    </>
  );
}

function RoleRow({ orgId, mapping, editable }: { orgId: string; mapping: RoleMapping; editable: boolean }) {
  const qc = useQueryClient();
  const [text, setText] = useState(mapping.permissions.join(", "));
  const [invalid, setInvalid] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (permissions: string[]) => iam.setRole(orgId, mapping.role, permissions),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["roles", orgId] }),
  });
  const id = `role-${mapping.role}`;
  return (
    <div className="role-row">
      <h3>{mapping.role}</h3>
      <p className="muted small">Built in: {mapping.builtin.join(", ") || "nothing"}</p>
      {editable ? (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const list = splitList(text);
            const bad = list.find((p) => !featurePermission.safeParse(p).success);
            if (bad) {
              setInvalid(`${bad}: ${featurePermission.safeParse(bad).error?.issues[0]?.message ?? "invalid"}`);
              return;
            }
            setInvalid(null);
            save.mutate(list);
          }}
        >
          <Field id={id} label={`Feature permissions of ${mapping.role}`} value={text} onChange={(e) => setText(e.target.value)} hint="Comma-separated, e.g. billing:read" error={invalid ?? undefined} />
          <ErrorNotice error={save.error} />
          <Button type="submit" busy={save.isPending}>
            Save
          </Button>
        </form>
      ) : (
        <p>Feature permissions: {mapping.permissions.join(", ") || "none"}</p>
      )}
    </div>
  );
}

const grantForm = z.object({
  userId: z.string().min(1, "choose a member"),
  permission: featurePermission,
  granted: z.enum(["grant", "deny"]),
  expiresAt: z.string(),
});

function Grants({ orgId }: { orgId: string }) {
  const qc = useQueryClient();
  const grants = useQuery({ queryKey: ["grants", orgId], queryFn: () => iam.grants(orgId) });
  const org = useQuery({
    queryKey: ["org", orgId],
    queryFn: () => authCall(authClient.organization.getFullOrganization({ query: { organizationId: orgId } })),
  });
  const remove = useMutation({
    mutationFn: (id: string) => iam.removeGrant(id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["grants", orgId] }),
  });
  const { form, submit, formError } = useZodForm(grantForm, { defaultValues: { userId: "", permission: "", granted: "grant", expiresAt: "" } });
  const emailOf = (userId: string) => org.data?.members.find((m) => m.userId === userId)?.user.email ?? userId;
  return (
    <Card title="Grants and denials">
      {grants.isPending ? <Loading /> : null}
      <ErrorNotice error={grants.error ?? remove.error} />
      {grants.data && grants.data.grants.length === 0 ? <Empty>No grants or denials.</Empty> : null}
      {grants.data && grants.data.grants.length > 0 ? (
        <Table caption="Grants and denials" head={["Member", "Permission", "Effect", "Until", null]}>
            {grants.data.grants.map((g) => (
              <tr key={g.id}>
                <td>{emailOf(g.userId)}</td>
                <td>
                  <code>{g.permission}</code>
                </td>
                <td>{g.granted ? "granted" : "denied"}</td>
                <td>{g.expiresAt ? dateTime(g.expiresAt) : "no end"}</td>
                <td>
                  <Button onClick={() => remove.mutate(g.id)}>Remove</Button>
                </td>
              </tr>
            ))}
        </Table>
      ) : null}
      <form
        noValidate
        onSubmit={submit(async (v) => {
          const until = v.expiresAt ? Date.parse(v.expiresAt) : undefined;
          if (until !== undefined && (Number.isNaN(until) || until <= Date.now())) {
            form.setError("expiresAt", { message: "a time in the future" });
            return;
          }
          await iam.addGrant({ orgId, userId: v.userId, permission: v.permission, granted: v.granted === "grant", expiresAt: until });
          form.reset();
          await qc.invalidateQueries({ queryKey: ["grants", orgId] });
        })}
      >
        <div className="row">
          <Select label="Member" {...form.register("userId")} error={form.formState.errors.userId?.message}>
            <option value="">Choose…</option>
            {org.data?.members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.user.email} ({m.role})
              </option>
            ))}
          </Select>
          <Field label="Permission" placeholder="billing:read" {...form.register("permission")} error={form.formState.errors.permission?.message} />
          <Select label="Effect" {...form.register("granted")}>
            <option value="grant">grant</option>
            <option value="deny">deny</option>
          </Select>
          <Field label="Until (optional)" type="datetime-local" {...form.register("expiresAt")} error={form.formState.errors.expiresAt?.message} />
        </div>
        <ErrorNotice error={formError} />
        <Button type="submit" busy={form.formState.isSubmitting}>
          Add
        </Button>
      </form>
    </Card>
  );
}
