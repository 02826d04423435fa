import { useQueryClient } from "@tanstack/react-query";
import { Link, useLocation, useNavigate } from "react-router";
import { z } from "zod";
import { authCall, authClient } from "../../auth/client";
import { identityChanged } from "../../auth/session";
import { Button, ErrorNotice, Field } from "../../components/ui";
import { appUrl, nextPath } from "../../lib/nav";
import { useZodForm } from "../../lib/useZodForm";
import { email, name, password } from "../../lib/validation";
import { AuthFrame } from "./AuthFrame";

const schema = z
  .object({ name, email, password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "the passwords differ" });

export function SignUp() {
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const { form, submit, formError } = useZodForm(schema, { defaultValues: { name: "", email: "", password: "", confirm: "" } });
  const e = form.formState.errors;
  return (
    <AuthFrame
      title="Create your account"
      footer={
        <>
          Already have one? <Link to={`/sign-in${location.search}`}>Sign in</Link>
        </>
      }
    >
      <form
        noValidate
        onSubmit={submit(async (v) => {
          await authCall(authClient.signUp.email({ name: v.name, email: v.email, password: v.password }));
          // Inviting and accepting need a verified address: send the link right away.
          await authCall(authClient.sendVerificationEmail({ email: v.email, callbackURL: appUrl("/account?verified=1") })).catch(
            () => undefined,
          );
          await identityChanged(qc);
          const next = nextPath(location.search, "");
          navigate(next || "/tenant/new?welcome=1", { replace: true });
        })}
      >
        <Field label="Name" autoComplete="name" {...form.register("name")} error={e.name?.message} />
        <Field label="E-mail" type="email" autoComplete="email" {...form.register("email")} error={e.email?.message} />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="8 to 128 characters"
          {...form.register("password")}
          error={e.password?.message}
        />
        <Field label="Repeat the password" type="password" autoComplete="new-password" {...form.register("confirm")} error={e.confirm?.message} />
        <ErrorNotice error={formError} />
        <Button type="submit" variant="primary" busy={form.formState.isSubmitting}>
          Create account
        </Button>
      </form>
    </AuthFrame>
  );
}
