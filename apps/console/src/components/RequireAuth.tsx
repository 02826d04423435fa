import { Navigate, Outlet, useLocation } from "react-router";
import { useMe } from "../auth/session";
import { ErrorNotice, Loading } from "./ui";

/** Routes behind sign-in: a visitor goes to the sign-in page and comes back after. */
export function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading what="Checking your session" />;
  if (me.error) return <ErrorNotice error={me.error} onRetry={() => me.refetch()} />;
  if (!me.data) {
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}
