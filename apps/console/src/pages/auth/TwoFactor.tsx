import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { z } from "zod";
import { authCall, authClient } from "../../auth/client";
import { identityChanged } from "../../auth/session";
import { Button, ErrorNotice, Field } from "../../components/ui";
import { nextPath } from "../../lib/nav";
import { useZodForm } from "../../lib/useZodForm";
import { backupCode, totpCode } from "../../lib/validation";
import { AuthFrame } from "./AuthFrame";

const totpForm = z.object({ code: totpCode, trustDevice: z.boolean() });
const backupForm = z.object({ code: backupCode, trustDevice: z.boolean() });

/** The second step of a sign-in with two-factor on (the challenge cookie carries it). */
export function TwoFactor() {
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [useBackup, setUseBackup] = useState(false);
  const totp = useZodForm(totpForm, { defaultValues: { code: "", trustDevice: false } });
  const backup = useZodForm(backupForm, { defaultValues: { code: "", trustDevice: false } });
  const done = async () => {
    await identityChanged(qc);
    navigate(nextPath(location.search), { replace: true });
  };
  const f = useBackup ? backup : totp;
  return (
    <AuthFrame title="Two-factor check" footer={<Link to="/sign-in">Back to sign-in</Link>}>
      <form
        noValidate
        onSubmit={
          useBackup
            ? backup.submit(async (v) => {
                await authCall(authClient.twoFactor.verifyBackupCode({ code: v.code, trustDevice: v.trustDevice }));
                await done();
              })
            : totp.submit(async (v) => {
                await authCall(authClient.twoFactor.verifyTotp({ code: v.code, trustDevice: v.trustDevice }));
                await done();
              })
        }
      >
        {useBackup ? (
          <Field key="backup" label="Backup code" autoComplete="off" {...backup.form.register("code")} error={backup.form.formState.errors.code?.message} />
        ) : (
          <Field
            key="totp"
            label="Authentication code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            hint="The 6-digit code from your authenticator app"
            {...totp.form.register("code")}
            error={totp.form.formState.errors.code?.message}
          />
        )}
        <div className="check">
          <input id="trust-device" type="checkbox" {...f.form.register("trustDevice")} />
          <label htmlFor="trust-device">Trust this browser for 30 days</label>
        </div>
        <ErrorNotice error={f.formError} />
        <Button type="submit" variant="primary" busy={f.form.formState.isSubmitting}>
          Verify
        </Button>
        <Button variant="link" onClick={() => setUseBackup((b) => !b)}>
          {useBackup ? "Use the authenticator app instead" : "Use a backup code instead"}
        </Button>
      </form>
    </AuthFrame>
  );
}
