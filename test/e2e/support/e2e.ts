/**
 * Helpers for end-to-end tests: an IdP-like SCIM client that calls the real worker entry, and a
 * Cognito reader that asks the emulator (signed, like any AWS client) what it now holds.
 */
import { env, exports } from "cloudflare:workers";
import { AwsClient } from "aws4fetch";
import { inject } from "vitest";
import type { OperationStats } from "../../../dev/cognito-emulator/index.ts";
import type { E2eStack } from "./stack-info";

export const WORKER_ORIGIN = "https://scim.local.test";

export function stack(): E2eStack {
  return inject("e2eStack");
}

export function customer(customerId: string): E2eStack["customers"][number] {
  const found = stack().customers.find((c) => c.customerId === customerId);
  if (!found) throw new Error(`no demo customer ${customerId}`);
  return found;
}

/** KV is isolated per test file: write the demo customers' pool records. */
export async function seedPoolRecords(): Promise<void> {
  for (const c of stack().customers) {
    if (c.poolRecord) await env.POOLS.put(`customer:${c.customerId}`, JSON.stringify(c.poolRecord));
  }
}

export interface ScimCall {
  status: number;
  contentType: string | null;
  location: string | null;
  body: Record<string, unknown> | null;
}

export function scimClient(scimApiKey: string) {
  return async function scim(method: string, path: string, body?: unknown): Promise<ScimCall> {
    const response = await exports.default.fetch(`${WORKER_ORIGIN}/api/scim${path}`, {
      method,
      headers: {
        authorization: `Bearer ${scimApiKey}`,
        accept: "application/scim+json",
        ...(body === undefined ? {} : { "content-type": "application/scim+json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      location: response.headers.get("location"),
      body: text === "" ? null : (JSON.parse(text) as Record<string, unknown>),
    };
  };
}

export interface CognitoUserState {
  username: string;
  enabled: boolean;
  attributes: Record<string, string>;
}

export function cognitoReader() {
  const { credentials, cognitoUrl } = stack();
  const aws = new AwsClient({ ...credentials, service: "cognito-idp", region: "local", retries: 0 });
  async function call(operation: string, input: Record<string, unknown>): Promise<{ ok: boolean; body: Record<string, unknown> }> {
    const response = await aws.fetch(`${cognitoUrl}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}` },
      body: JSON.stringify(input),
    });
    return { ok: response.ok, body: (await response.json()) as Record<string, unknown> };
  }
  const toState = (raw: Record<string, unknown>, key: string): CognitoUserState => ({
    username: String(raw["Username"]),
    enabled: raw["Enabled"] !== false,
    attributes: Object.fromEntries(((raw[key] as { Name: string; Value: string }[]) ?? []).map((a) => [a.Name, a.Value])),
  });
  return {
    call,
    /** The user, by username, email (email pools) or sub; `null` when absent. */
    async getUser(userPoolId: string, username: string): Promise<CognitoUserState | null> {
      const answer = await call("AdminGetUser", { UserPoolId: userPoolId, Username: username });
      if (!answer.ok) {
        if (answer.body["__type"] === "UserNotFoundException") return null;
        throw new Error(`AdminGetUser failed: ${JSON.stringify(answer.body)}`);
      }
      return toState(answer.body, "UserAttributes");
    },
    async listUsers(userPoolId: string, filter?: string): Promise<CognitoUserState[]> {
      const answer = await call("ListUsers", { UserPoolId: userPoolId, ...(filter ? { Filter: filter } : {}) });
      if (!answer.ok) throw new Error(`ListUsers failed: ${JSON.stringify(answer.body)}`);
      return ((answer.body["Users"] as Record<string, unknown>[]) ?? []).map((u) => toState(u, "Attributes"));
    },
    /** Per-operation counters of the emulator (calls, ok, errors, throttled, faulted, rejectedSignature). */
    async emulatorStats(): Promise<Record<string, OperationStats>> {
      const response = await fetch(`${cognitoUrl}/__emulator/stats`);
      return (await response.json()) as Record<string, OperationStats>;
    },
  };
}
