// Sign-in and session through Better Auth's official React client, pointed at IAM
// through the gateway (locally: the dev server's /api proxy, so cookies are the
// console's own).
import { createAuthClient } from "better-auth/react";
import { magicLinkClient, organizationClient, twoFactorClient } from "better-auth/client/plugins";
import { authBaseUrl, config } from "../config";
import { ApiError, errorFromResponse } from "../api/http";

export const authClient = createAuthClient({
  baseURL: authBaseUrl(config, window.location.origin),
  fetchOptions: { credentials: "include" },
  plugins: [
    organizationClient(),
    magicLinkClient(),
    twoFactorClient({
      // The second step of a sign-in with two-factor on: the challenge page.
      onTwoFactorRedirect() {
        // The sign-in page itself moves on to the challenge (it sees `twoFactorRedirect`).
      },
    }),
  ],
});

interface BetterFetchResult<T> {
  data: T | null;
  error: ({ status: number; statusText?: string } & Record<string, unknown>) | null;
}

/**
 * The data of a Better Auth client call, or its failure as an ApiError (IAM's answers
 * carry NNO's envelope, with the request id, beside Better Auth's `code` and `message`).
 */
export async function authCall<T>(call: Promise<BetterFetchResult<T>>): Promise<T> {
  const { data, error } = await call;
  if (error) throw errorFromResponse(error.status ?? 0, error, null);
  if (data === null || data === undefined) throw new ApiError(502, "UNKNOWN", "empty answer from IAM", null, null);
  return data;
}
