/**
 * Starts the two upstreams the worker needs, on loopback, and seeds them: the BYO sidecar stand-in
 * and the SigV4-checking Cognito emulator, demo user pools of both sign-in designs plus a shared
 * one, and a SCIM connection per demo customer. Used by `npm run dev`, the end-to-end tests'
 * globalSetup and the benchmarks, so all three exercise the same system.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { AwsClient } from "aws4fetch";
import { createClient } from "@propelauth/byo-node";
import { LOCAL_EMULATOR_CREDENTIALS, startCognitoEmulator, type RunningCognitoEmulator, type ThrottleLimits } from "../cognito-emulator/index.ts";
import { startSidecarStandin, type RunningSidecarStandin } from "../sidecar-standin/index.ts";

/** Pools the emulator creates carry ids `local_<suffix>`; the worker reads the region from the prefix. */
export const LOCAL_REGION = "local";
export const TENANT_ATTRIBUTE_NAME = "scim_customer";

export interface DemoCustomer {
  readonly customerId: string;
  readonly connectionId: string;
  readonly scimApiKey: string;
  /** The pool the customer's users land in. */
  readonly userPoolId: string;
  /** `null` when the customer has no `customer:<id>` record and falls back to the default pool. */
  readonly poolRecord: { userPoolId: string; shared: boolean } | null;
}

export interface LocalStack {
  readonly sidecarUrl: string;
  readonly cognitoUrl: string;
  readonly integrationKey: string;
  /** Bearer token for the worker's admin API (`/admin`). */
  readonly adminToken: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly pools: { readonly emailAsUsername: string; readonly plainUsernames: string; readonly shared: string };
  readonly customers: readonly DemoCustomer[];
  readonly emulator: RunningCognitoEmulator;
  readonly sidecar: RunningSidecarStandin;
  /** Settings for the worker, as `wrangler dev --var` or Miniflare bindings. */
  workerVars(): Record<string, string>;
  close(): Promise<void>;
}

export interface LocalStackOptions {
  /** Working directory for emulator state; wiped at start so every run begins clean. */
  readonly dataDir: string;
  readonly sidecarPort?: number;
  readonly cognitoPort?: number;
  readonly throttle?: ThrottleLimits;
  /** Demo customers to create (default acme, globex, initech). */
  readonly customers?: readonly { customerId: string; pool: "emailAsUsername" | "plainUsernames" | "default" }[];
}

const DEFAULT_CUSTOMERS = [
  { customerId: "acme", pool: "emailAsUsername" },
  { customerId: "globex", pool: "plainUsernames" },
  { customerId: "initech", pool: "default" },
] as const;

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  await rm(options.dataDir, { recursive: true, force: true });
  await mkdir(options.dataDir, { recursive: true });
  const integrationKey = `byo_local_${randomBytes(16).toString("hex")}`;
  const adminToken = `admin_local_${randomBytes(24).toString("hex")}`;
  const credentials = LOCAL_EMULATOR_CREDENTIALS;

  const sidecar = await startSidecarStandin({ integrationKey, port: options.sidecarPort ?? 0 });
  let emulator: RunningCognitoEmulator;
  try {
    emulator = await startCognitoEmulator({
      dataDir: options.dataDir,
      credentials: [credentials],
      port: options.cognitoPort ?? 0,
      ...(options.throttle ? { throttle: options.throttle } : {}),
    });
  } catch (error) {
    await sidecar.close();
    throw error;
  }

  try {
    const aws = new AwsClient({ ...credentials, service: "cognito-idp", region: LOCAL_REGION, retries: 0 });
    const cognito = async (operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const response = await aws.fetch(`${emulator.url}/`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}` },
        body: JSON.stringify(input),
      });
      const body = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`${operation} failed: ${JSON.stringify(body)}`);
      return body;
    };
    const createPool = async (name: string, design: Record<string, unknown>): Promise<string> => {
      const created = await cognito("CreateUserPool", {
        PoolName: name,
        ...design,
        Schema: [
          { Name: TENANT_ATTRIBUTE_NAME, AttributeDataType: "String", Mutable: true },
          { Name: "department", AttributeDataType: "String", Mutable: true },
        ],
      });
      const pool = created["UserPool"] as { Id: string };
      return pool.Id;
    };
    const pools = {
      emailAsUsername: await createPool("demo-email-as-username", { UsernameAttributes: ["email"] }),
      plainUsernames: await createPool("demo-plain-usernames", {}),
      shared: await createPool("demo-shared", {}),
    };

    const byo = createClient({ url: sidecar.url, integrationKey });
    const customers: DemoCustomer[] = [];
    for (const wanted of options.customers ?? DEFAULT_CUSTOMERS) {
      const created = await byo.scim.management.createScimConnection({ customerId: wanted.customerId, displayName: `${wanted.customerId} (local demo)` });
      if (!created.ok) throw new Error(`CreateScimConnection failed: ${JSON.stringify(created.error)}`);
      const userPoolId = wanted.pool === "default" ? pools.shared : pools[wanted.pool];
      customers.push({
        customerId: wanted.customerId,
        connectionId: created.data.connectionId,
        scimApiKey: created.data.scimApiKey,
        userPoolId,
        poolRecord: wanted.pool === "default" ? null : { userPoolId, shared: false },
      });
    }

    return {
      sidecarUrl: sidecar.url,
      cognitoUrl: emulator.url,
      integrationKey,
      adminToken,
      credentials,
      pools,
      customers,
      emulator,
      sidecar,
      workerVars: () => ({
        BYO_URL: sidecar.url,
        BYO_INTEGRATION_KEY: integrationKey,
        BYO_TIMEOUT_MS: "10000",
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: LOCAL_REGION,
        COGNITO_ENDPOINT: emulator.url,
        DEFAULT_USER_POOL_ID: pools.shared,
        TENANT_ATTRIBUTE: `custom:${TENANT_ATTRIBUTE_NAME}`,
        SCIM_BASE_PATH: "/api/scim",
        EXISTING_USER_POLICY: "reject",
        ADMIN_TOKEN: adminToken,
        // Show everything locally: department lands in a custom attribute, SCIM groups in Cognito groups.
        ATTRIBUTE_MAP: JSON.stringify({ firstName: "given_name", lastName: "family_name", displayName: "name", department: "custom:department" }),
        GROUP_SYNC: "on",
        GROUP_PREFIX: "scim-",
      }),
      async close() {
        await Promise.allSettled([sidecar.close(), emulator.close()]);
      },
    };
  } catch (error) {
    await Promise.allSettled([sidecar.close(), emulator.close()]);
    throw error;
  }
}
