/**
 * Who is calling the admin API. Two modes, chosen by settings:
 * - Cloudflare Access (ACCESS_TEAM_DOMAIN + ACCESS_AUD): the `Cf-Access-Jwt-Assertion` JWT is
 *   verified with jose against `<team>/cdn-cgi/access/certs` (RS256; iss = team domain, aud,
 *   exp/nbf) — platform-notes C10. The JWKS is fetched through the injected `fetch` and kept per
 *   authenticator (one per isolate in production); jose refreshes keys older than 10 minutes and
 *   refetches for an unknown `kid` (Access rotates keys every 6 weeks) once 30 s have passed
 *   since the last fetch.
 * - Otherwise ADMIN_TOKEN as `Authorization: Bearer`, compared in constant time (SHA-256 of both
 *   sides, then `timingSafeEqual`, so neither content nor length leaks through timing).
 * With neither configured the admin API is off (the routes answer 404), never open.
 */
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { Config } from "../config";
import { fail, ok, type Result } from "../result";
import type { Clock, FetchLike } from "../timing";
import type { AdminFailure, AuthFailureReason } from "./admin-errors";

export interface AdminActor {
  /** Access `email`, else `common_name` (service tokens), else `sub`; "admin-token" in token mode. */
  readonly id: string;
  readonly via: "access-jwt" | "admin-token";
}

export type AuthFailure = Extract<AdminFailure, { kind: "unauthorized" | "auth_unavailable" }>;

export interface AdminAuthenticator {
  /** `null` when the admin API is off (no auth configured). */
  mode(admin: Config["admin"]): "access" | "token" | null;
  authenticate(admin: Config["admin"], headers: Headers): Promise<Result<AdminActor, AuthFailure>>;
}

/** Header Cloudflare Access adds to every request it lets through. */
export const ACCESS_JWT_HEADER = "cf-access-jwt-assertion";

/** Access signs with RS256 only; refusing anything else closes alg-confusion tricks. */
const ACCESS_ALGORITHMS = ["RS256"];

const MAX_ACTOR_LENGTH = 200;

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

export function createAdminAuthenticator(deps: { readonly fetch: FetchLike; readonly clock: Clock }): AdminAuthenticator {
  const jwksByUrl = new Map<string, RemoteJwks>();

  function jwksFor(teamDomain: string): RemoteJwks {
    const url = `${teamDomain}/cdn-cgi/access/certs`;
    let jwks = jwksByUrl.get(url);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(url), { [customFetch]: (input, init) => deps.fetch(input, init) });
      jwksByUrl.set(url, jwks);
    }
    return jwks;
  }

  async function viaAccess(access: NonNullable<Config["admin"]["access"]>, headers: Headers): Promise<Result<AdminActor, AuthFailure>> {
    const token = headers.get(ACCESS_JWT_HEADER)?.trim();
    if (!token) return fail({ kind: "unauthorized", reason: "missing_credentials", scheme: "Access" });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwksFor(access.teamDomain), {
        issuer: access.teamDomain,
        audience: access.audience,
        algorithms: ACCESS_ALGORITHMS,
        currentDate: new Date(deps.clock.now()),
      }));
    } catch (error) {
      return fail(classifyJoseError(error));
    }
    return ok({ id: actorOf(payload), via: "access-jwt" });
  }

  async function viaToken(expected: string, headers: Headers): Promise<Result<AdminActor, AuthFailure>> {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.get("authorization") ?? "");
    if (!match?.[1]) return fail({ kind: "unauthorized", reason: "missing_credentials", scheme: "Bearer" });
    return (await constantTimeEqual(match[1], expected))
      ? ok({ id: "admin-token", via: "admin-token" })
      : fail({ kind: "unauthorized", reason: "token_mismatch", scheme: "Bearer" });
  }

  return {
    mode(admin) {
      return admin.access ? "access" : admin.token !== null ? "token" : null;
    },
    async authenticate(admin, headers) {
      if (admin.access) return viaAccess(admin.access, headers);
      if (admin.token !== null) return viaToken(admin.token, headers);
      return fail({ kind: "unauthorized", reason: "missing_credentials", scheme: "Bearer" });
    },
  };
}

function actorOf(payload: JWTPayload): string {
  for (const claim of ["email", "common_name", "sub"] as const) {
    const value = payload[claim];
    if (typeof value === "string" && value.trim() !== "") return value.trim().slice(0, MAX_ACTOR_LENGTH);
  }
  return "access-jwt-without-identity";
}

function classifyJoseError(error: unknown): AuthFailure {
  const unauthorized = (reason: AuthFailureReason): AuthFailure => ({ kind: "unauthorized", reason, scheme: "Access" });
  if (error instanceof joseErrors.JWTExpired) return unauthorized("jwt_expired");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "iss":
        return unauthorized("jwt_issuer");
      case "aud":
        return unauthorized("jwt_audience");
      case "nbf":
        return unauthorized("jwt_not_yet_valid");
      default:
        return unauthorized("jwt_claims");
    }
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return unauthorized("jwt_signature");
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) return unauthorized("jwt_unknown_key");
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) return unauthorized("jwt_algorithm");
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return unauthorized("jwt_malformed");
  // The JWKS could not be fetched or read (network, timeout, non-200, not a key set).
  const reason =
    error instanceof joseErrors.JOSEError ? `${error.code}: ${error.message}` : error instanceof Error ? `${error.name}: ${error.message}` : "unknown";
  return { kind: "auth_unavailable", reason: `jwks: ${reason}`.slice(0, 200) };
}

/** Equality without early exit or a length signal: both sides are hashed to 32 bytes first. */
export async function constantTimeEqual(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
