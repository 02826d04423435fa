import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { z } from "zod";
import { iam } from "../api/iam";
import type { CreatedApiKey } from "../api/types";
import { useMe } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Badge, Button, Card, CopyButton, Empty, ErrorNotice, Field, Loading, Notice, PageHeader, Select, Table } from "../components/ui";
import { dateTime, relative } from "../lib/format";
import { useZodForm } from "../lib/useZodForm";
import { name, scope, splitList } from "../lib/validation";

const EXPIRY: Record<string, number | undefined> = {
  never: undefined,
  "1d": 86_400,
  "30d": 30 * 86_400,
  "90d": 90 * 86_400,
  "365d": 365 * 86_400,
};

const schema = z.object({
  name,
  scopes: z
    .string()
    .transform(splitList)
    .pipe(z.array(scope).min(1, "at least one scope").max(50, "at most 50 scopes")),
  expiry: z.enum(["never", "1d", "30d", "90d", "365d"]),
});

export function ApiKeys() {
  const me = useMe();
  const qc = useQueryClient();
  const orgId = me.data?.session?.activeOrganizationId ?? undefined;
  const keys = useQuery({ queryKey: ["keys", orgId], queryFn: () => iam.keys(orgId) });
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const { form, submit, formError } = useZodForm(schema, { defaultValues: { name: "", scopes: "platforms:read", expiry: "90d" } });
  const revoke = useMutation({
    mutationFn: (id: string) => iam.revokeKey(id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["keys", orgId] }),
  });
  const live = keys.data?.keys.filter((k) => !k.revokedAt) ?? [];
  return (
    <>
      <PageHeader title="API keys" />
      {created ? (
        <Notice tone="success">
          <p>
            Key <strong>{created.name}</strong> created. Copy it now: it is shown only once.
          </p>
          <p>
            <code className="secret" data-testid="new-key">
              {created.key}
            </code>{" "}
            <CopyButton text={created.key} label="Copy key" />
          </p>
          <Button variant="link" onClick={() => setCreated(null)}>
            Done
          </Button>
        </Notice>
      ) : null}
      <Card title="Create a key">
        <form
          noValidate
          onSubmit={submit(async (v) => {
            const k = await iam.createKey({ name: v.name, scopes: v.scopes, orgId, expiresIn: EXPIRY[v.expiry] });
            setCreated(k);
            form.reset({ name: "", scopes: "platforms:read", expiry: v.expiry });
            await qc.invalidateQueries({ queryKey: ["keys", orgId] });
          })}
        >
          <div className="row">
            <Field label="Key name" {...form.register("name")} error={form.formState.errors.name?.message} />
            <Field label="Scopes" hint="Comma-separated permissions, e.g. platforms:read" {...form.register("scopes")} error={form.formState.errors.scopes?.message} />
            <Select label="Expires" {...form.register("expiry")}>
              <option value="1d">in a day</option>
              <option value="30d">in 30 days</option>
              <option value="90d">in 90 days</option>
              <option value="365d">in a year</option>
              <option value="never">never</option>
            </Select>
          </div>
          <p className="muted small">{orgId ? "The key belongs to the active tenant and can do at most what you can there." : "A personal key: it can do only what you can."}</p>
          <ErrorNotice error={formError} />
          <Button type="submit" variant="primary" busy={form.formState.isSubmitting}>
            Create key
          </Button>
        </form>
      </Card>
      <Card title="Keys">
        {keys.isPending ? <Loading /> : null}
        <ErrorNotice error={keys.error ?? revoke.error} onRetry={keys.error ? () => keys.refetch() : undefined} />
        {keys.data && live.length === 0 ? <Empty>No keys yet.</Empty> : null}
        {live.length > 0 ? (
          <Table caption="API keys" head={["Name", "Key", "Scopes", "Last used", "Expires", null]}>
              {live.map((k) => (
                <tr key={k.id} data-key={k.name}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.start}…</code>
                  </td>
                  <td>{k.scopes.join(", ")}</td>
                  <td>{relative(k.lastUsedAt)}</td>
                  <td>{k.expiresAt ? dateTime(k.expiresAt) : <Badge tone="neutral">never</Badge>}</td>
                  <td>
                    <ConfirmDialog
                      trigger={<Button variant="danger">Revoke</Button>}
                      title={`Revoke ${k.name}?`}
                      description="Anything using this key stops working at once."
                      confirmLabel="Revoke"
                      danger
                      onConfirm={() => revoke.mutateAsync(k.id)}
                    />
                  </td>
                </tr>
              ))}
          </Table>
        ) : null}
      </Card>
    </>
  );
}
