import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { z } from "zod";
import { authCall, authClient } from "../../auth/client";
import { identityChanged } from "../../auth/session";
import { Button, ErrorNotice, Field, Notice } from "../../components/ui";
import { appUrl, nextPath } from "../../lib/nav";
import { useZodForm } from "../../lib/useZodForm";
import { email } from "../../lib/validation";
import { AuthFrame } from "./AuthFrame";

const passwordForm = z.object({ email, password: z.string().min(1, "required") });
const linkForm = z.object({ email });

export function SignIn() {
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const next = nextPath(location.search);
  const [mode, setMode] = useState<"password" | "link">("password");
  const [linkSentTo, setLinkSentTo] = useState<string | null>(null);
  const [socialError, setSocialError] = useState<unknown>(null);
  const pw = useZodForm(passwordForm, { defaultValues: { email: "", password: "" } });
  const link = useZodForm(linkForm, { defaultValues: { email: "" } });
  const callbackError = new URLSearchParams(location.search).get("error");

  const social = async (provider: "github" | "google") => {
    setSocialError(null);
    try {
      // The client sends the browser to the provider; it comes back signed in at `next`.
      await authCall(
        authClient.signIn.social({
          provider,
          callbackURL: appUrl(next),
          errorCallbackURL: appUrl("/sign-in"),
        }),
      );
    } catch (e) {
      setSocialError(e);
    }
  };

  return (
    <AuthFrame
      title="Sign in"
      footer={
        <>
          New here? <Link to={`/sign-up${location.search}`}>Create an account</Link>
        </>
      }
    >
      {callbackError ? <Notice tone="warn">Sign-in did not complete ({callbackError}). Please try again.</Notice> : null}
      <div className="tabs" role="tablist" aria-label="How to sign in">
        <button type="button" role="tab" aria-selected={mode === "password"} onClick={() => setMode("password")}>
          Password
        </button>
        <button type="button" role="tab" aria-selected={mode === "link"} onClick={() => setMode("link")}>
          E-mail me a link
        </button>
      </div>
      {mode === "password" ? (
        <form
          noValidate
          onSubmit={pw.submit(async (v) => {
            const data = await authCall(authClient.signIn.email({ email: v.email, password: v.password }));
            if ("twoFactorRedirect" in data && data.twoFactorRedirect) {
              navigate(`/two-factor?next=${encodeURIComponent(next)}`);
              return;
            }
            await identityChanged(qc);
            navigate(next, { replace: true });
          })}
        >
          <Field label="E-mail" type="email" autoComplete="email" {...pw.form.register("email")} error={pw.form.formState.errors.email?.message} />
          <Field
            label="Password"
            type="password"
            autoComplete="current-password"
            {...pw.form.register("password")}
            error={pw.form.formState.errors.password?.message}
          />
          <ErrorNotice error={pw.formError} />
          <Button type="submit" variant="primary" busy={pw.form.formState.isSubmitting}>
            Sign in
          </Button>
          <p>
            <Link to="/forgot-password">Forgot your password?</Link>
          </p>
        </form>
      ) : linkSentTo ? (
        <Notice tone="success">
          If <strong>{linkSentTo}</strong> can sign in here, a sign-in link is on its way. It works for 5 minutes.
        </Notice>
      ) : (
        <form
          noValidate
          onSubmit={link.submit(async (v) => {
            await authCall(authClient.signIn.magicLink({ email: v.email, callbackURL: appUrl(next) }));
            setLinkSentTo(v.email);
          })}
        >
          <Field label="E-mail" type="email" autoComplete="email" {...link.form.register("email")} error={link.form.formState.errors.email?.message} />
          <ErrorNotice error={link.formError} />
          <Button type="submit" variant="primary" busy={link.form.formState.isSubmitting}>
            Send me a sign-in link
          </Button>
        </form>
      )}
      <div className="divider">or</div>
      <div className="social">
        <Button onClick={() => social("github")}>Continue with GitHub</Button>
        <Button onClick={() => social("google")}>Continue with Google</Button>
      </div>
      <ErrorNotice error={socialError} />
    </AuthFrame>
  );
}
