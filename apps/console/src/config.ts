// What identifies this deployment. Everything here comes from VITE_* variables (the
// .env files), never from code, because the same app is built per client platform as
// its console shell. Every value is public: it is baked into the bundle.

export type Feature = "platforms" | "operators";
const FEATURES: readonly Feature[] = ["platforms", "operators"];

export interface ConsoleConfig {
  env: "local" | "stg" | "prod";
  /** Origin of the gateway; "" means same origin (the dev server's /api proxy). */
  gatewayUrl: string;
  platformId: string;
  features: ReadonlySet<Feature>;
}

export function parseConfig(vars: Record<string, string | undefined>): ConsoleConfig {
  const env = vars.VITE_APP_ENV ?? "local";
  if (env !== "local" && env !== "stg" && env !== "prod") {
    throw new Error(`VITE_APP_ENV must be local, stg or prod, not ${JSON.stringify(env)}`);
  }
  const gatewayUrl = (vars.VITE_GATEWAY_URL ?? "").trim().replace(/\/+$/, "");
  if (gatewayUrl && !/^https?:\/\/[^/]+$/.test(gatewayUrl)) {
    throw new Error(`VITE_GATEWAY_URL must be an origin (scheme and host), not ${JSON.stringify(gatewayUrl)}`);
  }
  const platformId = (vars.VITE_PLATFORM_ID ?? "").trim();
  if (!/^[a-z0-9]{10}$/.test(platformId)) {
    throw new Error(`VITE_PLATFORM_ID must be a 10-character platform id, not ${JSON.stringify(platformId)}`);
  }
  const features = new Set<Feature>();
  for (const raw of (vars.VITE_FEATURES ?? "").split(",")) {
    const f = raw.trim();
    if (!f) continue;
    if (!(FEATURES as readonly string[]).includes(f)) {
      throw new Error(`VITE_FEATURES: unknown feature ${JSON.stringify(f)} (known: ${FEATURES.join(", ")})`);
    }
    features.add(f as Feature);
  }
  return { env, gatewayUrl, platformId, features };
}

export const config: ConsoleConfig = parseConfig(import.meta.env as Record<string, string | undefined>);

/** The absolute base URL of IAM's Better Auth API, through the gateway. */
export function authBaseUrl(c: ConsoleConfig, origin: string): string {
  return `${c.gatewayUrl || origin}/api/v1/iam/auth`;
}
