/**
 * BENCHMARK VARIANT, not used by the worker: `src/cognito/cognito-client.ts` with the transport
 * swapped from aws4fetch to `@aws-sdk/client-cognito-identity-provider`, for the size and
 * start-up comparison (bench/parts/size-startup.ts). The benchmark builds a copy of `src/` in a
 * temporary directory where the real module is renamed `cognito-client.aws4fetch.ts` and this
 * file takes its place, so everything else — the error types, the classification and the
 * full-jitter retry loop — is the real module's code, re-exported unchanged. Only `attempt()`
 * differs: one SDK `send()` per try (the SDK's own retries off, `maxAttempts: 1`, as the real
 * client sets `retries: 0`), errors classified from the SDK's exception `name` and HTTP status.
 * The commands are imported one by one (the tree-shakeable way), one per operation the worker uses.
 * One behavioural difference, irrelevant to size and start-up: the SDK sends through the global
 * `fetch`, not the injected `deps.fetch`, so the sync consumer's subrequest budget does not see
 * its calls. Type-checked only inside the scratch copy (its imports are relative to src/cognito/).
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminLinkProviderForUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  DeleteGroupCommand,
  DescribeUserPoolCommand,
  ListGroupsCommand,
  ListTagsForResourceCommand,
  ListUserPoolsCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { COGNITO_CALL_TIMEOUT_MS } from "../constants";
import type { Config } from "../config";
import {
  CallBudgetExhausted,
  retryWithinBudget,
  sanitizeErrorType,
  THROTTLING_ERRORS,
  TRANSIENT_ERRORS,
  type AttemptOutcome,
  type CognitoClient,
  type CognitoClientDeps,
} from "./cognito-client.aws4fetch";

export * from "./cognito-client.aws4fetch";

/** A command class of the SDK, whatever its input type. */
type AnyCommand = new (input: any) => any;

const COMMANDS: Readonly<Record<string, AnyCommand>> = {
  AdminAddUserToGroup: AdminAddUserToGroupCommand,
  AdminCreateUser: AdminCreateUserCommand,
  AdminDeleteUser: AdminDeleteUserCommand,
  AdminDisableUser: AdminDisableUserCommand,
  AdminEnableUser: AdminEnableUserCommand,
  AdminGetUser: AdminGetUserCommand,
  AdminLinkProviderForUser: AdminLinkProviderForUserCommand,
  AdminListGroupsForUser: AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroup: AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributes: AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOut: AdminUserGlobalSignOutCommand,
  CreateGroup: CreateGroupCommand,
  DeleteGroup: DeleteGroupCommand,
  DescribeUserPool: DescribeUserPoolCommand,
  ListGroups: ListGroupsCommand,
  ListTagsForResource: ListTagsForResourceCommand,
  ListUserPools: ListUserPoolsCommand,
};


/** One SDK client per isolate, credential set and region (the SDK binds the region at construction). */
const sdkClients = new WeakMap<Config["aws"], Map<string, CognitoIdentityProviderClient>>();

function sdkClientFor(aws: Config["aws"], cognito: Config["cognito"], region: string): CognitoIdentityProviderClient {
  let byRegion = sdkClients.get(aws);
  if (!byRegion) {
    byRegion = new Map();
    sdkClients.set(aws, byRegion);
  }
  let client = byRegion.get(region);
  if (!client) {
    client = new CognitoIdentityProviderClient({
      region,
      credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey, ...(aws.sessionToken ? { sessionToken: aws.sessionToken } : {}) },
      ...(cognito.endpoint !== undefined ? { endpoint: cognito.endpoint } : {}),
      maxAttempts: 1,
    });
    byRegion.set(region, client);
  }
  return client;
}

interface SdkError {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: unknown;
}

export function createCognitoClient(aws: Config["aws"], cognito: Config["cognito"], deps: CognitoClientDeps): CognitoClient {
  async function attempt(operation: string, region: string, input: Readonly<Record<string, unknown>>): Promise<AttemptOutcome> {
    const Command = COMMANDS[operation];
    if (Command === undefined) return { kind: "final", failure: { kind: "rejected", operation, errorType: "UnsupportedOperation" } };
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), COGNITO_CALL_TIMEOUT_MS);
    const started = deps.clock.now();
    try {
      const output = (await sdkClientFor(aws, cognito, region).send(new Command(input), { abortSignal: abort.signal })) as unknown as Record<string, unknown>;
      const { $metadata: _metadata, ...body } = output;
      return { kind: "ok", body };
    } catch (error) {
      if (error instanceof CallBudgetExhausted) {
        return { kind: "final", failure: { kind: "unavailable", operation, errorType: error.name } };
      }
      const e = (error ?? {}) as SdkError;
      const status = e.$metadata?.httpStatusCode;
      if (status === undefined) {
        // No HTTP answer: network failure or our timeout.
        const errorType = abort.signal.aborted ? "Timeout" : typeof e.name === "string" ? e.name : "NetworkError";
        return { kind: "retryable", failure: { kind: "unavailable", operation, errorType } };
      }
      const errorType = sanitizeErrorType(typeof e.name === "string" ? e.name : `HTTP${status}`);
      if (THROTTLING_ERRORS.has(errorType) || status === 429) return { kind: "retryable", failure: { kind: "throttled", operation } };
      if (status >= 500 || TRANSIENT_ERRORS.has(errorType)) return { kind: "retryable", failure: { kind: "unavailable", operation, errorType } };
      const message = typeof e.message === "string" ? e.message.slice(0, 200) : undefined;
      return { kind: "final", failure: message === undefined ? { kind: "rejected", operation, errorType } : { kind: "rejected", operation, errorType, message } };
    } finally {
      clearTimeout(timeout);
      deps.timer.cognitoMs += deps.clock.now() - started;
    }
  }

  return {
    call: (operation, region, input) => retryWithinBudget(() => attempt(operation, region, input), deps.clock, cognito.retryBudgetMs),
  };
}
