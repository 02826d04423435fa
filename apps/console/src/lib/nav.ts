/** A safe place to go after sign-in: only paths of this app, never another origin. */
export function nextPath(search: string, fallback = "/platforms"): string {
  const n = new URLSearchParams(search).get("next");
  return n && n.startsWith("/") && !n.startsWith("//") && !n.startsWith("/\\") ? n : fallback;
}

/** An absolute URL of this app, for links IAM puts in e-mails and redirects. */
export function appUrl(path: string, origin: string = window.location.origin): string {
  return new URL(path, origin).toString();
}
