import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError } from "../api/http";
import { authCall, authClient } from "../auth/client";
import { identityChanged, useMe } from "../auth/session";
import { Button, ErrorNotice, Loading, Notice } from "../components/ui";
import { dateTime } from "../lib/format";
import { appUrl } from "../lib/nav";
import { AuthFrame } from "./auth/AuthFrame";

/** Where an invitation e-mail leads: `${APP_URL}/accept-invitation/{id}`. */
export function AcceptInvitation() {
  const { id = "" } = useParams();
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const here = `/accept-invitation/${encodeURIComponent(id)}`;
  const invitation = useQuery({
    queryKey: ["invitation", id],
    enabled: !!me.data,
    retry: false,
    queryFn: () => authCall(authClient.organization.getInvitation({ query: { id } })),
  });
  const accept = useMutation({
    mutationFn: async () => {
      await authCall(authClient.organization.acceptInvitation({ invitationId: id }));
      await identityChanged(qc);
      navigate("/tenant");
    },
  });
  const reject = useMutation({
    mutationFn: async () => {
      await authCall(authClient.organization.rejectInvitation({ invitationId: id }));
      navigate("/platforms");
    },
  });
  const resend = useMutation({
    mutationFn: () =>
      authCall(authClient.sendVerificationEmail({ email: me.data?.user.email ?? "", callbackURL: appUrl(here) })),
  });

  if (me.isPending) return <Loading />;
  if (!me.data) {
    return (
      <AuthFrame title="You are invited">
        <p>Sign in, or create an account with the address the invitation was sent to, to accept it.</p>
        <div className="row">
          <Link className="btn btn-primary" to={`/sign-in?next=${encodeURIComponent(here)}`}>
            Sign in
          </Link>
          <Link className="btn btn-secondary" to={`/sign-up?next=${encodeURIComponent(here)}`}>
            Create an account
          </Link>
        </div>
      </AuthFrame>
    );
  }
  const notVerified = accept.error instanceof ApiError && accept.error.code === "FORBIDDEN" && /verif/i.test(accept.error.message);
  return (
    <AuthFrame title="Join a tenant" footer={<Link to="/platforms">Not now</Link>}>
      {invitation.isPending ? <Loading what="Loading the invitation" /> : null}
      <ErrorNotice error={invitation.error} />
      {invitation.data ? (
        <>
          <p>
            You are invited to join <strong data-testid="invitation-tenant">{invitation.data.organizationName}</strong> as{" "}
            <strong>{invitation.data.role}</strong>.
          </p>
          <p className="muted small">
            Sent to {invitation.data.email}; valid until {dateTime(String(invitation.data.expiresAt))}.
          </p>
          {invitation.data.status !== "pending" ? <Notice tone="warn">This invitation is {invitation.data.status}.</Notice> : null}
          <ErrorNotice error={accept.error ?? reject.error} />
          {notVerified ? (
            <div>
              <p>Verify your e-mail address first; then open the invitation again.</p>
              {resend.isSuccess ? (
                <Notice tone="success">Verification link sent to {me.data.user.email}.</Notice>
              ) : (
                <Button busy={resend.isPending} onClick={() => resend.mutate()}>
                  Send the verification link
                </Button>
              )}
            </div>
          ) : null}
          <div className="row">
            <Button variant="primary" busy={accept.isPending} onClick={() => accept.mutate()} disabled={invitation.data.status !== "pending"}>
              Accept invitation
            </Button>
            <Button busy={reject.isPending} onClick={() => reject.mutate()} disabled={invitation.data.status !== "pending"}>
              Decline
            </Button>
          </div>
        </>
      ) : null}
    </AuthFrame>
  );
}
