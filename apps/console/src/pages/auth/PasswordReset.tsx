import { useState } from "react";
import { Link, useLocation } from "react-router";
import { z } from "zod";
import { authCall, authClient } from "../../auth/client";
import { Button, ErrorNotice, Field, Notice } from "../../components/ui";
import { appUrl } from "../../lib/nav";
import { useZodForm } from "../../lib/useZodForm";
import { email, password } from "../../lib/validation";
import { AuthFrame } from "./AuthFrame";

const requestForm = z.object({ email });

export function ForgotPassword() {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { form, submit, formError } = useZodForm(requestForm, { defaultValues: { email: "" } });
  return (
    <AuthFrame title="Reset your password" footer={<Link to="/sign-in">Back to sign-in</Link>}>
      {sentTo ? (
        <Notice tone="success">
          If <strong>{sentTo}</strong> has an account, a reset link is on its way. It works for an hour.
        </Notice>
      ) : (
        <form
          noValidate
          onSubmit={submit(async (v) => {
            await authCall(authClient.requestPasswordReset({ email: v.email, redirectTo: appUrl("/reset-password") }));
            setSentTo(v.email);
          })}
        >
          <Field label="E-mail" type="email" autoComplete="email" {...form.register("email")} error={form.formState.errors.email?.message} />
          <ErrorNotice error={formError} />
          <Button type="submit" variant="primary" busy={form.formState.isSubmitting}>
            Send reset link
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}

const resetForm = z
  .object({ password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "the passwords differ" });

export function ResetPassword() {
  const location = useLocation();
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  const [done, setDone] = useState(false);
  const { form, submit, formError } = useZodForm(resetForm, { defaultValues: { password: "", confirm: "" } });
  if (!token || params.get("error")) {
    return (
      <AuthFrame title="Reset your password" footer={<Link to="/forgot-password">Ask for a new link</Link>}>
        <Notice tone="warn">This reset link is not valid any more. Links work once, for an hour.</Notice>
      </AuthFrame>
    );
  }
  return (
    <AuthFrame title="Choose a new password" footer={<Link to="/sign-in">Back to sign-in</Link>}>
      {done ? (
        <Notice tone="success">
          Your password is changed and every session was signed out. <Link to="/sign-in">Sign in</Link> with the new one.
        </Notice>
      ) : (
        <form
          noValidate
          onSubmit={submit(async (v) => {
            await authCall(authClient.resetPassword({ newPassword: v.password, token }));
            setDone(true);
          })}
        >
          <Field label="New password" type="password" autoComplete="new-password" {...form.register("password")} error={form.formState.errors.password?.message} />
          <Field label="Repeat it" type="password" autoComplete="new-password" {...form.register("confirm")} error={form.formState.errors.confirm?.message} />
          <ErrorNotice error={formError} />
          <Button type="submit" variant="primary" busy={form.formState.isSubmitting}>
            Set password
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}
