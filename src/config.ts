/**
 * Settings, parsed once per `env` object into a readonly typed `Config`. The only module that
 * reads `env.*` strings. A failure names the variables, never their values.
 */
import * as z from "zod";
import { DEFAULT_COGNITO_RETRY_BUDGET_MS, DEFAULT_SIDECAR_TIMEOUT_MS } from "./constants";
import type { WorkerEnv } from "./env";
import { fail, ok, type Result } from "./result";
import { USER_POOL_ID_PATTERN } from "./cognito/user-pool-id";
import { DEFAULT_SYNC_SUBREQUEST_BUDGET } from "./sync/sync-limits";

/** parsedUserData field -> Cognito attribute used when ATTRIBUTE_MAP is unset. */
export const DEFAULT_ATTRIBUTE_MAP: Readonly<Record<string, string>> = {
  firstName: "given_name",
  lastName: "family_name",
  displayName: "name",
};

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const positiveIntString = (fallback: number, max: number) =>
  optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(max))
      .optional()
      .transform((v) => v ?? fallback),
  );

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), "must be http(s)")
  .transform((u) => u.replace(/\/+$/, ""));

/** Minimum length of ADMIN_TOKEN: shorter tokens are guessable (e.g. `openssl rand -base64 32`). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * A Cloudflare Access team domain: an origin such as `https://acme.cloudflareaccess.com`
 * (its `/cdn-cgi/access/certs` is the JWKS). http only for loopback hosts (local stacks).
 */
const accessTeamDomain = z
  .string()
  .url()
  .transform((u) => u.replace(/\/+$/, ""))
  .refine((u) => {
    const url = new URL(u);
    const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1";
    return url.origin === u && (url.protocol === "https:" || (loopback && url.protocol === "http:"));
  }, "must be an https origin without a path");

const cognitoAttributeName = z.string().regex(/^(custom:)?[A-Za-z0-9_:-]{1,32}$/);

/**
 * Attributes IdP data must never set through ATTRIBUTE_MAP: identity (`sub`, `identities`), the
 * email the worker writes itself (a second `email` entry fails every create), and verification
 * flags (IdP data must not decide what counts as verified).
 */
const RESERVED_ATTRIBUTES = new Set(["sub", "identities", "email", "email_verified", "phone_number_verified"]);

const attributeMapJson = optionalString.transform((raw, ctx) => {
  if (raw === undefined) return DEFAULT_ATTRIBUTE_MAP;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    ctx.addIssue({ code: "custom", message: "not JSON" });
    return z.NEVER;
  }
  const map = z.record(z.string().min(1), cognitoAttributeName).safeParse(parsed);
  if (!map.success) {
    ctx.addIssue({ code: "custom", message: "must map field names to Cognito attribute names" });
    return z.NEVER;
  }
  if (Object.values(map.data).some((attribute) => RESERVED_ATTRIBUTES.has(attribute) || attribute.startsWith("cognito:"))) {
    ctx.addIssue({ code: "custom", message: "maps to an attribute the worker owns" });
    return z.NEVER;
  }
  return map.data;
});

const onOff = optionalString.pipe(z.enum(["on", "off"]).optional().transform((v) => v === "on"));

const envSchema = z.object({
  SCIM_BASE_PATH: optionalString.pipe(
    z
      .string()
      .regex(/^\/[A-Za-z0-9/_.-]*$/)
      .optional()
      .transform((p) => (p ?? "/api/scim").replace(/\/+$/, "")),
  ),
  BYO_URL: httpUrl,
  BYO_INTEGRATION_KEY: z.string().min(1),
  BYO_ACCESS_CLIENT_ID: optionalString,
  BYO_ACCESS_CLIENT_SECRET: optionalString,
  BYO_TIMEOUT_MS: positiveIntString(DEFAULT_SIDECAR_TIMEOUT_MS, 120_000),
  AWS_ACCESS_KEY_ID: z.string().min(1),
  AWS_SECRET_ACCESS_KEY: z.string().min(1),
  AWS_SESSION_TOKEN: optionalString,
  AWS_REGION: z.string().regex(/^[a-z0-9-]+$/),
  COGNITO_ENDPOINT: optionalString.pipe(httpUrl.optional()),
  COGNITO_RETRY_BUDGET_MS: positiveIntString(DEFAULT_COGNITO_RETRY_BUDGET_MS, 60_000),
  COGNITO_INVITE_MESSAGE: optionalString.pipe(z.enum(["suppress", "email"]).optional().transform((v) => v ?? "suppress")),
  DEFAULT_USER_POOL_ID: optionalString.pipe(z.string().regex(USER_POOL_ID_PATTERN).optional()),
  EXISTING_USER_POLICY: optionalString.pipe(z.enum(["reject", "link"]).optional().transform((v) => v ?? "reject")),
  TENANT_ATTRIBUTE: optionalString.pipe(
    z
      .string()
      .regex(/^custom:[A-Za-z0-9_-]{1,20}$/)
      .optional()
      .transform((v) => v ?? "custom:scim_customer"),
  ),
  ATTRIBUTE_MAP: attributeMapJson,
  // Sync (docs/sync.md) and pool discovery (docs/sync.md#pool-discovery).
  GROUP_SYNC: onOff,
  GROUP_PREFIX: optionalString.pipe(
    z
      .string()
      .regex(/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,40}$/u)
      .optional()
      .transform((v) => v ?? "scim-"),
  ),
  GROUP_DELETE: onOff,
  SYNC_SUBREQUEST_BUDGET: optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/)
      .transform(Number)
      .pipe(z.number().int().min(20).max(10_000))
      .optional()
      .transform((v) => v ?? DEFAULT_SYNC_SUBREQUEST_BUDGET),
  ),
  POOL_TAG_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u)
      .refine((k) => !k.toLowerCase().startsWith("aws:"), "aws: keys are reserved")
      .optional(),
  ),
  AWS_ACCOUNT_ID: optionalString.pipe(z.string().regex(/^\d{12}$/).optional()),
  ADMIN_TOKEN: optionalString.pipe(z.string().min(MIN_ADMIN_TOKEN_LENGTH).optional()),
  ACCESS_TEAM_DOMAIN: optionalString.pipe(accessTeamDomain.optional()),
  ACCESS_AUD: optionalString,
});

export interface Config {
  readonly scimBasePath: string;
  readonly sidecar: {
    readonly url: string;
    readonly integrationKey: string;
    readonly accessServiceToken: { readonly clientId: string; readonly clientSecret: string } | null;
    readonly timeoutMs: number;
  };
  readonly aws: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string | undefined;
    readonly region: string;
  };
  readonly cognito: {
    /** Overrides `https://cognito-idp.<region>.amazonaws.com/` (emulators). */
    readonly endpoint: string | undefined;
    readonly retryBudgetMs: number;
    readonly inviteMessage: "suppress" | "email";
    readonly attributeMap: Readonly<Record<string, string>>;
    readonly tenantAttribute: string;
  };
  readonly defaultUserPoolId: string | undefined;
  readonly existingUserPolicy: "reject" | "link";
  readonly sync: {
    /** GROUP_SYNC=on: SCIM groups become Cognito groups named `<prefix>…`; null when off. */
    readonly groups: { readonly prefix: string; readonly deleteRemoved: boolean } | null;
    /** Outbound calls one queue invocation may make (SYNC_SUBREQUEST_BUDGET). */
    readonly subrequestBudget: number;
  };
  /** POOL_TAG_KEY set: find a customer's pool by the tag `<tagKey>=<customerId>`; null when off. */
  readonly poolDiscovery: { readonly tagKey: string; readonly accountId: string; readonly region: string } | null;
  /**
   * How `/admin` is authenticated. Access wins when configured (ADMIN_TOKEN is then ignored);
   * with neither, the admin API is off and answers 404.
   */
  readonly admin: {
    readonly access: { readonly teamDomain: string; readonly audience: string } | null;
    readonly token: string | null;
  };
}

export interface ConfigError {
  /** Names of the settings that are missing or invalid — never their values. */
  readonly variables: readonly string[];
}

const configCache = new WeakMap<object, Result<Config, ConfigError>>();

export function loadConfig(env: WorkerEnv): Result<Config, ConfigError> {
  const cached = configCache.get(env);
  if (cached) return cached;
  const result = parseConfig(env);
  configCache.set(env, result);
  return result;
}

function parseConfig(env: WorkerEnv): Result<Config, ConfigError> {
  const parsed = envSchema.safeParse(env);
  const variables = new Set<string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path[0];
      if (typeof name === "string") variables.add(name);
    }
    return fail({ variables: [...variables].sort() });
  }
  const e = parsed.data;
  // IdP data must never choose a user's tenant.
  if (Object.values(e.ATTRIBUTE_MAP).includes(e.TENANT_ATTRIBUTE)) {
    return fail({ variables: ["ATTRIBUTE_MAP", "TENANT_ATTRIBUTE"] });
  }
  // The two halves of an Access service token only make sense together.
  if ((e.BYO_ACCESS_CLIENT_ID === undefined) !== (e.BYO_ACCESS_CLIENT_SECRET === undefined)) {
    return fail({ variables: ["BYO_ACCESS_CLIENT_ID", "BYO_ACCESS_CLIENT_SECRET"] });
  }
  // Likewise the Access team domain and audience that admin JWTs are checked against.
  if ((e.ACCESS_TEAM_DOMAIN === undefined) !== (e.ACCESS_AUD === undefined)) {
    return fail({ variables: ["ACCESS_AUD", "ACCESS_TEAM_DOMAIN"] });
  }
  // Pool ARNs for ListTagsForResource need the account id.
  if (e.POOL_TAG_KEY !== undefined && e.AWS_ACCOUNT_ID === undefined) {
    return fail({ variables: ["AWS_ACCOUNT_ID"] });
  }
  return ok({
    scimBasePath: e.SCIM_BASE_PATH,
    sidecar: {
      url: e.BYO_URL,
      integrationKey: e.BYO_INTEGRATION_KEY,
      accessServiceToken:
        e.BYO_ACCESS_CLIENT_ID !== undefined && e.BYO_ACCESS_CLIENT_SECRET !== undefined
          ? { clientId: e.BYO_ACCESS_CLIENT_ID, clientSecret: e.BYO_ACCESS_CLIENT_SECRET }
          : null,
      timeoutMs: e.BYO_TIMEOUT_MS,
    },
    aws: {
      accessKeyId: e.AWS_ACCESS_KEY_ID,
      secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
      sessionToken: e.AWS_SESSION_TOKEN,
      region: e.AWS_REGION,
    },
    cognito: {
      endpoint: e.COGNITO_ENDPOINT,
      retryBudgetMs: e.COGNITO_RETRY_BUDGET_MS,
      inviteMessage: e.COGNITO_INVITE_MESSAGE,
      attributeMap: e.ATTRIBUTE_MAP,
      tenantAttribute: e.TENANT_ATTRIBUTE,
    },
    defaultUserPoolId: e.DEFAULT_USER_POOL_ID,
    existingUserPolicy: e.EXISTING_USER_POLICY,
    sync: {
      groups: e.GROUP_SYNC ? { prefix: e.GROUP_PREFIX, deleteRemoved: e.GROUP_DELETE } : null,
      subrequestBudget: e.SYNC_SUBREQUEST_BUDGET,
    },
    poolDiscovery:
      e.POOL_TAG_KEY !== undefined && e.AWS_ACCOUNT_ID !== undefined
        ? { tagKey: e.POOL_TAG_KEY, accountId: e.AWS_ACCOUNT_ID, region: e.AWS_REGION }
        : null,
    admin: {
      access:
        e.ACCESS_TEAM_DOMAIN !== undefined && e.ACCESS_AUD !== undefined
          ? { teamDomain: e.ACCESS_TEAM_DOMAIN, audience: e.ACCESS_AUD }
          : null,
      token: e.ADMIN_TOKEN ?? null,
    },
  });
}
