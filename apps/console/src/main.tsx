import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, StrictMode, Suspense, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, Navigate, RouterProvider } from "react-router";
import { ApiError } from "./api/http";
import { Layout } from "./components/Layout";
import { RequireAuth } from "./components/RequireAuth";
import { Loading } from "./components/ui";
import { SignIn } from "./pages/auth/SignIn";
import { Platforms } from "./pages/Platforms";
import "./styles.css";

// Sign-in and the platforms list are in the initial bundle (the first screens anyone
// sees); every other page loads when first opened.
function page<K extends string>(load: () => Promise<Record<K, () => ReactNode>>, name: K) {
  const C = lazy(async () => {
    const Page: () => ReactNode = (await load())[name];
    return { default: () => <Page /> };
  });
  return (
    <Suspense fallback={<Loading />}>
      <C />
    </Suspense>
  );
}

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: true,
      // 4xx answers do not improve by asking again.
      retry: (count, e) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && count < 2,
    },
  },
});

const router = createBrowserRouter([
  { path: "/sign-in", element: <SignIn /> },
  { path: "/sign-up", element: page(() => import("./pages/auth/SignUp"), "SignUp") },
  { path: "/two-factor", element: page(() => import("./pages/auth/TwoFactor"), "TwoFactor") },
  { path: "/forgot-password", element: page(() => import("./pages/auth/PasswordReset"), "ForgotPassword") },
  { path: "/reset-password", element: page(() => import("./pages/auth/PasswordReset"), "ResetPassword") },
  { path: "/accept-invitation/:id", element: page(() => import("./pages/AcceptInvitation"), "AcceptInvitation") },
  {
    element: <RequireAuth />,
    children: [
      {
        element: <Layout />,
        children: [
          { index: true, element: <Navigate to="/platforms" replace /> },
          { path: "/platforms", element: <Platforms /> },
          { path: "/platforms/new", element: page(() => import("./pages/Onboard"), "Onboard") },
          { path: "/onboarding/:id", element: page(() => import("./pages/Onboard"), "OnboardingProgress") },
          { path: "/platforms/:id", element: page(() => import("./pages/PlatformDetail"), "PlatformDetail") },
          { path: "/tenant", element: page(() => import("./pages/Tenant"), "Tenant") },
          { path: "/tenant/new", element: page(() => import("./pages/Tenant"), "CreateTenant") },
          { path: "/tenant/roles", element: page(() => import("./pages/RolesAndGrants"), "RolesAndGrants") },
          { path: "/keys", element: page(() => import("./pages/ApiKeys"), "ApiKeys") },
          { path: "/account", element: page(() => import("./pages/Account"), "Account") },
          { path: "/operators", element: page(() => import("./pages/Operators"), "Operators") },
          { path: "*", element: page(() => import("./pages/NotFound"), "NotFound") },
        ],
      },
    ],
  },
]);

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  );
}
