/**
 * Cross-site request forgery defences for `/admin`. Behind Cloudflare Access the browser carries
 * an ambient credential (the `CF_Authorization` cookie, which Access turns into the JWT header),
 * so a page on another site could otherwise make an operator's browser rotate a key.
 * - Every unsafe request passes a same-origin check: `Sec-Fetch-Site` must be `same-origin` when
 *   present, else `Origin` must equal the request's origin when present. Requests with neither
 *   header come from non-browser clients (curl, scripts), which carry no ambient credentials.
 * - The setup page's forms also carry a double-submit token: a random value in a `SameSite=Strict`
 *   cookie that must equal the form's hidden `csrf` field.
 * - JSON bodies must be `application/json`, which a cross-site form cannot send.
 */
import { constantTimeEqual } from "./admin-auth";

/** Name of the setup page's double-submit cookie and form field. */
export const CSRF_COOKIE = "admin_csrf";
export const CSRF_FIELD = "csrf";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** `null` when the request may proceed, else why it looks cross-site. */
export function crossSiteReason(method: string, url: string, headers: Headers): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const fetchSite = headers.get("sec-fetch-site");
  if (fetchSite !== null) return fetchSite === "same-origin" ? null : `sec-fetch-site ${fetchSite}`;
  const origin = headers.get("origin");
  if (origin !== null) return origin === new URL(url).origin ? null : "origin mismatch";
  return null;
}

/** 32 random bytes, base64url without padding (43 characters). */
export function newCsrfToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The token from the request's cookie, if it has a well-formed one. */
export function csrfTokenFromCookie(cookieHeader: string | null): string | undefined {
  for (const part of (cookieHeader ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    const value = rest.join("=");
    if (name === CSRF_COOKIE && TOKEN_PATTERN.test(value)) return value;
  }
  return undefined;
}

export function csrfCookie(token: string, secure: boolean): string {
  return `${CSRF_COOKIE}=${token}; Path=/admin; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

export async function csrfTokenMatches(cookieHeader: string | null, formValue: unknown): Promise<boolean> {
  const cookie = csrfTokenFromCookie(cookieHeader);
  if (cookie === undefined || typeof formValue !== "string" || !TOKEN_PATTERN.test(formValue)) return false;
  return constantTimeEqual(formValue, cookie);
}
