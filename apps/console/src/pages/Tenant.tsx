import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { z } from "zod";
import type { TenantRole } from "../api/types";
import { authCall, authClient } from "../auth/client";
import { can, identityChanged, isOperator, useMe } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Button, Card, Empty, ErrorNotice, Field, Loading, Notice, PageHeader, Select, Table } from "../components/ui";
import { dateTime, ROLE_RANK } from "../lib/format";
import { useZodForm } from "../lib/useZodForm";
import { email, name, slug, slugFrom } from "../lib/validation";

const createForm = z.object({ name, slug });

export function CreateTenant() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const welcome = new URLSearchParams(useLocation().search).get("welcome");
  const { form, submit, formError } = useZodForm(createForm, { defaultValues: { name: "", slug: "" } });
  const nameValue = form.watch("name");
  const slugTouched = form.formState.dirtyFields.slug;
  useEffect(() => {
    if (!slugTouched) form.setValue("slug", slugFrom(nameValue ?? ""));
  }, [nameValue, slugTouched, form]);
  return (
    <>
      <PageHeader title="Create a tenant" />
      {welcome ? (
        <Notice tone="info">
          Welcome! A tenant is your team or company: platforms, members and API keys belong to it. We sent a link to verify
          your e-mail address.
        </Notice>
      ) : null}
      <Card>
        <form
          noValidate
          onSubmit={submit(async (v) => {
            await authCall(authClient.organization.create({ name: v.name, slug: v.slug }));
            await identityChanged(qc);
            navigate("/tenant");
          })}
        >
          <Field label="Tenant name" {...form.register("name")} error={form.formState.errors.name?.message} />
          <Field label="Tenant slug" hint="a-z, 0-9 and '-'; part of its URLs" {...form.register("slug")} error={form.formState.errors.slug?.message} />
          <ErrorNotice error={formError} />
          <Button type="submit" variant="primary" busy={form.formState.isSubmitting}>
            Create tenant
          </Button>
        </form>
      </Card>
    </>
  );
}

const inviteForm = z.object({ email, role: z.enum(["member", "admin", "owner"]) });

export function Tenant() {
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const orgId = me.data?.session?.activeOrganizationId ?? null;
  const org = useQuery({
    queryKey: ["org", orgId],
    enabled: !!orgId,
    queryFn: () => authCall(authClient.organization.getFullOrganization({ query: { organizationId: orgId ?? "" } })),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: ["org", orgId] });
  const invite = useZodForm(inviteForm, { defaultValues: { email: "", role: "member" } });
  const updateRole = useMutation({
    mutationFn: (v: { memberId: string; role: TenantRole }) =>
      authCall(authClient.organization.updateMemberRole({ memberId: v.memberId, role: v.role, organizationId: orgId ?? undefined })),
    onSuccess: refresh,
  });
  const cancelInvite = useMutation({
    mutationFn: (invitationId: string) => authCall(authClient.organization.cancelInvitation({ invitationId })),
    onSuccess: refresh,
  });

  if (!orgId) {
    return (
      <>
        <PageHeader title="Tenant" />
        <Empty>
          You have no active tenant. <Link to="/tenant/new">Create one</Link>, or accept an invitation from your e-mail.
        </Empty>
      </>
    );
  }
  const myRole = me.data?.tenant?.role ?? "member";
  const manage = can(me.data, "iam:manage-members");
  const outranks = (role: string) => isOperator(me.data) || ROLE_RANK[myRole] >= (ROLE_RANK[role as TenantRole] ?? 0);
  return (
    <>
      <PageHeader title={org.data?.name ?? "Tenant"}>
        <Link className="btn btn-secondary" to="/tenant/roles">
          Roles and grants
        </Link>
        <ConfirmDialog
          trigger={<Button>Leave tenant</Button>}
          title="Leave this tenant?"
          description="You lose access to its platforms and keys. The last owner cannot leave."
          confirmLabel="Leave"
          danger
          onConfirm={async () => {
            await authCall(authClient.organization.leave({ organizationId: orgId }));
            await identityChanged(qc);
            navigate("/tenant");
          }}
        />
      </PageHeader>
      {org.isPending ? <Loading /> : null}
      <ErrorNotice error={org.error} onRetry={() => org.refetch()} />
      {org.data ? (
        <>
          <Card title="Members">
            <ErrorNotice error={updateRole.error} />
            <Table caption="Members" head={["Name", "E-mail", "Role", "Joined", null]}>
                {org.data.members.map((m) => {
                  const self = m.userId === me.data?.user.id;
                  return (
                    <tr key={m.id} data-member={m.user.email}>
                      <td>{m.user.name}</td>
                      <td>{m.user.email}</td>
                      <td>
                        {manage && !self && outranks(m.role) ? (
                          <label>
                            <span className="sr-only">Role of {m.user.email}</span>
                            <select
                              value={m.role}
                              onChange={(e) => updateRole.mutate({ memberId: m.id, role: e.target.value as TenantRole })}
                            >
                              <option value="member">member</option>
                              <option value="admin">admin</option>
                              {outranks("owner") ? <option value="owner">owner</option> : null}
                            </select>
                          </label>
                        ) : (
                          m.role
                        )}
                      </td>
                      <td>{dateTime(String(m.createdAt))}</td>
                      <td>
                        {manage && !self && outranks(m.role) ? (
                          <ConfirmDialog
                            trigger={<Button variant="danger">Remove</Button>}
                            title={`Remove ${m.user.email}?`}
                            description="They lose access to this tenant at once; their keys for it stop working."
                            confirmLabel="Remove"
                            danger
                            onConfirm={async () => {
                              await authCall(authClient.organization.removeMember({ memberIdOrEmail: m.id, organizationId: orgId }));
                              await refresh();
                            }}
                          />
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
            </Table>
          </Card>
          {manage ? (
            <Card title="Invite someone">
              <form
                noValidate
                onSubmit={invite.submit(async (v) => {
                  await authCall(authClient.organization.inviteMember({ email: v.email, role: v.role, organizationId: orgId }));
                  invite.form.reset({ email: "", role: v.role });
                  await refresh();
                })}
              >
                <div className="row">
                  <Field label="E-mail" type="email" {...invite.form.register("email")} error={invite.form.formState.errors.email?.message} />
                  <Select label="Role" {...invite.form.register("role")}>
                    <option value="member">member</option>
                    <option value="admin">admin</option>
                    {outranks("owner") ? <option value="owner">owner</option> : null}
                  </Select>
                </div>
                <ErrorNotice error={invite.formError} />
                <Button type="submit" variant="primary" busy={invite.form.formState.isSubmitting}>
                  Send invitation
                </Button>
              </form>
            </Card>
          ) : null}
          <Card title="Invitations">
            <ErrorNotice error={cancelInvite.error} />
            {org.data.invitations.filter((i) => i.status === "pending").length === 0 ? (
              <Empty>No pending invitations.</Empty>
            ) : (
              <Table caption="Pending invitations" head={["E-mail", "Role", "Expires", null]}>
                  {org.data.invitations
                    .filter((i) => i.status === "pending")
                    .map((i) => (
                      <tr key={i.id} data-invitation={i.email}>
                        <td>{i.email}</td>
                        <td>{i.role}</td>
                        <td>{dateTime(String(i.expiresAt))}</td>
                        <td>
                          {manage ? (
                            <Button onClick={() => cancelInvite.mutate(i.id)} busy={cancelInvite.isPending && cancelInvite.variables === i.id}>
                              Cancel
                            </Button>
                          ) : null}
                        </td>
                      </tr>
                    ))}
              </Table>
            )}
          </Card>
        </>
      ) : null}
    </>
  );
}
