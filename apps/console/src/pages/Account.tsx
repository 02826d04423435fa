import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "react-router";
import { z } from "zod";
import { authCall, authClient } from "../auth/client";
import { useMe } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { QrCode } from "../components/QrCode";
import { Badge, Button, Card, CopyButton, Empty, ErrorNotice, Field, Loading, Notice, PageHeader, Table } from "../components/ui";
import { dateTime, otpauthSecret } from "../lib/format";
import { appUrl } from "../lib/nav";
import { useZodForm } from "../lib/useZodForm";
import { password, totpCode } from "../lib/validation";

const SESSION_KEY = ["auth-session"] as const;

function useAuthSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: () => authCall(authClient.getSession()) });
}

export function Account() {
  const s = useAuthSession();
  const verified = new URLSearchParams(useLocation().search).get("verified");
  return (
    <>
      <PageHeader title="Account" />
      {verified ? <Notice tone="success">Your e-mail address is verified.</Notice> : null}
      {s.isPending ? <Loading /> : null}
      <ErrorNotice error={s.error} onRetry={() => s.refetch()} />
      {s.data ? (
        <>
          <Profile user={s.data.user} />
          <ChangePassword />
          <TwoFactorSettings enabled={!!s.data.user.twoFactorEnabled} />
          <Sessions />
        </>
      ) : null}
    </>
  );
}

function Profile({ user }: { user: { name: string; email: string; emailVerified: boolean } }) {
  const send = useMutation({
    mutationFn: () => authCall(authClient.sendVerificationEmail({ email: user.email, callbackURL: appUrl("/account?verified=1") })),
  });
  return (
    <Card title="Profile">
      <dl className="facts">
        <dt>Name</dt>
        <dd>{user.name}</dd>
        <dt>E-mail</dt>
        <dd>
          {user.email}{" "}
          {user.emailVerified ? <Badge tone="good">verified</Badge> : <Badge tone="warn">not verified</Badge>}
        </dd>
      </dl>
      {!user.emailVerified ? (
        send.isSuccess ? (
          <Notice tone="success">A verification link is on its way to {user.email}.</Notice>
        ) : (
          <>
            <p className="muted">Inviting people and accepting invitations need a verified address.</p>
            <Button busy={send.isPending} onClick={() => send.mutate()}>
              Send the verification link
            </Button>
            <ErrorNotice error={send.error} />
          </>
        )
      ) : null}
    </Card>
  );
}

const changeForm = z
  .object({ currentPassword: z.string().min(1, "required"), newPassword: password, confirm: z.string() })
  .refine((v) => v.newPassword === v.confirm, { path: ["confirm"], message: "the passwords differ" });

function ChangePassword() {
  const [done, setDone] = useState(false);
  const qc = useQueryClient();
  const { form, submit, formError } = useZodForm(changeForm, { defaultValues: { currentPassword: "", newPassword: "", confirm: "" } });
  const e = form.formState.errors;
  return (
    <Card title="Password">
      {done ? <Notice tone="success">Password changed. Your other sessions were signed out.</Notice> : null}
      <form
        noValidate
        onSubmit={submit(async (v) => {
          await authCall(authClient.changePassword({ currentPassword: v.currentPassword, newPassword: v.newPassword }));
          form.reset();
          setDone(true);
          await qc.invalidateQueries({ queryKey: ["sessions"] });
        })}
      >
        <Field label="Current password" type="password" autoComplete="current-password" {...form.register("currentPassword")} error={e.currentPassword?.message} />
        <Field label="New password" type="password" autoComplete="new-password" {...form.register("newPassword")} error={e.newPassword?.message} />
        <Field label="Repeat the new password" type="password" autoComplete="new-password" {...form.register("confirm")} error={e.confirm?.message} />
        <ErrorNotice error={formError} />
        <Button type="submit" busy={form.formState.isSubmitting}>
          Change password
        </Button>
      </form>
    </Card>
  );
}

const passwordOnly = z.object({ password: z.string().min(1, "required") });
const codeOnly = z.object({ code: totpCode });

function TwoFactorSettings({ enabled }: { enabled: boolean }) {
  const qc = useQueryClient();
  const [enrolment, setEnrolment] = useState<{ totpURI: string; backupCodes: string[] } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const start = useZodForm(passwordOnly, { defaultValues: { password: "" } });
  const confirm = useZodForm(codeOnly, { defaultValues: { code: "" } });
  const regenerate = useZodForm(passwordOnly, { defaultValues: { password: "" } });
  const refresh = () => qc.invalidateQueries({ queryKey: SESSION_KEY });

  if (enrolment) {
    const secret = otpauthSecret(enrolment.totpURI);
    return (
      <Card title="Two-factor authentication">
        <ol className="steps-list">
          <li>
            Scan this code with your authenticator app.
            <QrCode value={enrolment.totpURI} label="QR code of the two-factor secret" />
            {secret ? (
              <p className="small">
                Or type the key: <code data-testid="totp-secret">{secret}</code>
              </p>
            ) : null}
          </li>
          <li>
            Keep these backup codes somewhere safe; each signs you in once.
            <ul className="codes" data-testid="backup-codes">
              {enrolment.backupCodes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
            <CopyButton text={enrolment.backupCodes.join("\n")} label="Copy backup codes" />
          </li>
          <li>
            Enter the code the app shows to turn two-factor on.
            <form
              noValidate
              onSubmit={confirm.submit(async (v) => {
                await authCall(authClient.twoFactor.verifyTotp({ code: v.code }));
                setEnrolment(null);
                await refresh();
              })}
            >
              <Field
                label="Authentication code"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                {...confirm.form.register("code")}
                error={confirm.form.formState.errors.code?.message}
              />
              <ErrorNotice error={confirm.formError} />
              <Button type="submit" variant="primary" busy={confirm.form.formState.isSubmitting}>
                Turn on two-factor
              </Button>
            </form>
          </li>
        </ol>
      </Card>
    );
  }
  return (
    <Card title="Two-factor authentication">
      {enabled ? (
        <>
          <p>
            <Badge tone="good">on</Badge> Sign-ins ask for a code from your authenticator app.
          </p>
          {codes ? (
            <ul className="codes">
              {codes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
          ) : null}
          <form
            noValidate
            onSubmit={regenerate.submit(async (v) => {
              const r = await authCall(authClient.twoFactor.generateBackupCodes({ password: v.password }));
              setCodes(r.backupCodes);
              regenerate.form.reset();
            })}
          >
            <Field label="Password" type="password" autoComplete="current-password" {...regenerate.form.register("password")} error={regenerate.form.formState.errors.password?.message} />
            <ErrorNotice error={regenerate.formError} />
            <div className="row">
              <Button type="submit" busy={regenerate.form.formState.isSubmitting}>
                New backup codes
              </Button>
              <ConfirmDialog
                trigger={<Button variant="danger">Turn off two-factor</Button>}
                title="Turn off two-factor?"
                description="Sign-ins will ask only for your password, and every trusted browser is forgotten."
                confirmLabel="Turn off"
                danger
                onConfirm={async () => {
                  await authCall(authClient.twoFactor.disable({ password: regenerate.form.getValues("password") }));
                  regenerate.form.reset();
                  await refresh();
                }}
              />
            </div>
            <p className="muted small">Both ask for your password above.</p>
          </form>
        </>
      ) : (
        <form
          noValidate
          onSubmit={start.submit(async (v) => {
            const r = await authCall(authClient.twoFactor.enable({ password: v.password }));
            if (!("totpURI" in r)) throw new Error("IAM did not answer with a TOTP secret");
            setEnrolment({ totpURI: r.totpURI, backupCodes: r.backupCodes });
            start.form.reset();
          })}
        >
          <p>
            <Badge tone="neutral">off</Badge> Add a code from an authenticator app to every sign-in.
          </p>
          <Field label="Password" type="password" autoComplete="current-password" {...start.form.register("password")} error={start.form.formState.errors.password?.message} />
          <ErrorNotice error={start.formError} />
          <Button type="submit" variant="primary" busy={start.form.formState.isSubmitting}>
            Set up two-factor
          </Button>
        </form>
      )}
    </Card>
  );
}

function Sessions() {
  const me = useMe();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ["sessions"], queryFn: () => authCall(authClient.listSessions()) });
  const revoke = useMutation({
    mutationFn: (token: string) => authCall(authClient.revokeSession({ token })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["sessions"] }),
  });
  const revokeOthers = useMutation({
    mutationFn: () => authCall(authClient.revokeOtherSessions()),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["sessions"] }),
  });
  const current = me.data?.session?.id;
  return (
    <Card
      title="Sessions"
      actions={
        <Button busy={revokeOthers.isPending} onClick={() => revokeOthers.mutate()}>
          Sign out everywhere else
        </Button>
      }
    >
      {list.isPending ? <Loading /> : null}
      <ErrorNotice error={list.error ?? revoke.error ?? revokeOthers.error} onRetry={list.error ? () => list.refetch() : undefined} />
      {list.data && list.data.length === 0 ? <Empty>No sessions.</Empty> : null}
      {list.data && list.data.length > 0 ? (
        <Table caption="Your sessions" head={["Device", "Address", "Signed in", "Expires", null]}>
            {list.data.map((s) => (
              <tr key={s.id}>
                <td>
                  {s.userAgent || "unknown browser"} {s.id === current ? <Badge tone="good">this device</Badge> : null}
                </td>
                <td>{s.ipAddress || "—"}</td>
                <td>{dateTime(String(s.createdAt))}</td>
                <td>{dateTime(String(s.expiresAt))}</td>
                <td>
                  {s.id === current ? null : (
                    <Button onClick={() => revoke.mutate(s.token)} busy={revoke.isPending && revoke.variables === s.token}>
                      Sign out this device
                    </Button>
                  )}
                </td>
              </tr>
            ))}
        </Table>
      ) : null}
    </Card>
  );
}
