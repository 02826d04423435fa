// Form rules, the same ones the services apply, so a form refuses what the server
// would refuse before sending it (the server stays the authority: its field errors are
// shown on the field too).
import { z } from "zod";

/** Registry's slug rule: 3 to 40 of a-z, 0-9 and '-', a letter first, no '--', no '-' last. */
export const slug = z
  .string()
  .trim()
  .min(3, "at least 3 characters")
  .max(40, "at most 40 characters")
  .regex(/^[a-z]/, "start with a letter (a-z)")
  .regex(/^[a-z0-9-]+$/, "only lower-case letters, digits and '-'")
  .refine((s) => !s.includes("--"), "no '--'")
  .refine((s) => !s.endsWith("-"), "must not end with '-'");

/** A display name: 1 to 100 characters once trimmed, no control characters. */
export const name = z
  .string()
  .trim()
  .min(1, "required")
  .max(100, "at most 100 characters")
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "no control characters");

export const email = z.string().trim().min(1, "required").max(254, "at most 254 characters").email("not an e-mail address");

/** IAM's password rule: 8 to 128 characters, counted as typed (code points). */
export const password = z
  .string()
  .refine((s) => [...s].length >= 8, "at least 8 characters")
  .refine((s) => [...s].length <= 128, "at most 128 characters");

export const totpCode = z
  .string()
  .trim()
  .regex(/^\d{6}$/, "the 6-digit code from your authenticator app");

export const backupCode = z.string().trim().min(4, "a backup code").max(64, "a backup code");

/** A feature permission as IAM accepts it for roles and grants (`iam:` is IAM's own). */
export const featurePermission = z
  .string()
  .trim()
  .max(128, "at most 128 characters")
  .regex(/^[a-z][a-z0-9-]{0,62}:[a-z-]+$/, "featureId:action, e.g. billing:read")
  .refine((p) => !p.startsWith("iam:"), "iam: permissions are IAM's own and cannot be mapped or granted");

/** Any permission an API key may carry. */
export const scope = z
  .string()
  .trim()
  .max(128, "at most 128 characters")
  .regex(/^[a-z][a-z0-9-]{0,62}:[a-z-]+$/, "featureId:action, e.g. platforms:read");

/** Turns a free-text list (commas, spaces or new lines) into distinct entries. */
export function splitList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}

/** A tenant slug suggested from its name (the user may edit it). */
export function slugFrom(text: string): string {
  const s = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return s;
}
