// The signed-in frame: skip link, header with navigation and the tenant switcher, and
// the page. Navigation moves focus to the new page's heading for screen readers.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { authClient, authCall } from "../auth/client";
import { identityChanged, isOperator, useMe, useOrganizations, useSignOut } from "../auth/session";
import { config } from "../config";
import { ErrorNotice } from "./ui";

export function Layout() {
  const me = useMe();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    setMenuOpen(false);
    const h = main.current?.querySelector("h1");
    if (h instanceof HTMLElement) h.focus({ preventScroll: true });
  }, [location.pathname]);

  const operator = isOperator(me.data);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">NNO Console</div>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="primary-nav" aria-label="Primary" className={menuOpen ? "open" : undefined}>
          {config.features.has("platforms") ? <NavLink to="/platforms">Platforms</NavLink> : null}
          <NavLink to="/tenant">Tenant</NavLink>
          <NavLink to="/keys">API keys</NavLink>
          <NavLink to="/account">Account</NavLink>
          {operator && config.features.has("operators") ? <NavLink to="/operators">Operators</NavLink> : null}
        </nav>
        <TenantSwitcher />
        <UserMenu />
      </header>
      <main id="main" ref={main}>
        <Outlet />
      </main>
    </div>
  );
}

function TenantSwitcher() {
  const me = useMe();
  const orgs = useOrganizations();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const active = me.data?.session?.activeOrganizationId ?? "";
  const first = orgs.data?.[0]?.id;
  // A new session starts with no active tenant: take up the first one the user is in,
  // so someone with one tenant never has to pick it.
  useEffect(() => {
    if (active || !first) return;
    authCall(authClient.organization.setActive({ organizationId: first }))
      .then(() => identityChanged(qc))
      .catch(setError);
  }, [active, first, qc]);
  if (!orgs.data) return null;
  return (
    <div className="tenant-switcher">
      <label htmlFor="tenant-switch">Tenant</label>
      <select
        id="tenant-switch"
        value={active}
        onChange={async (e) => {
          const v = e.target.value;
          setError(null);
          if (v === "__new") {
            navigate("/tenant/new");
            return;
          }
          try {
            await authCall(authClient.organization.setActive({ organizationId: v }));
            await identityChanged(qc);
          } catch (err) {
            setError(err);
          }
        }}
      >
        {active === "" ? <option value="">No tenant selected</option> : null}
        {orgs.data.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
        <option value="__new">+ Create a tenant…</option>
      </select>
      <ErrorNotice error={error} />
    </div>
  );
}

function UserMenu() {
  const me = useMe();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  return (
    <div className="user-menu">
      <span className="muted small" data-testid="signed-in-as">
        {me.data?.user.email}
      </span>
      <button
        type="button"
        className="btn btn-link"
        onClick={async () => {
          try {
            await signOut();
            navigate("/sign-in");
          } catch (e) {
            setError(e);
          }
        }}
      >
        Sign out
      </button>
      <ErrorNotice error={error} />
    </div>
  );
}
