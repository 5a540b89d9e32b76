/**
 * Part 3, bulk provisioning through the whole local stack: the worker's deployable bundle in
 * workerd, the BYO sidecar stand-in and the SigV4-checking Cognito emulator (startLocalStack),
 * with the emulator throttling every quota category at AWS's defaults (UserCreation = the
 * configured quota, 50/s by default). An IdP-like driver creates N users at fixed concurrency:
 * 201 is done; 429/503 wait Retry-After (times a scale, said in the report) and retry the same
 * user; anything else is counted and retried after 1 s, at most MAX_ATTEMPTS times; everything
 * stops at the phase deadline. Afterwards the emulator's pool and the sidecar's users are read
 * back and compared: exactly N Cognito users, N linked SCIM users, every userId distinct and a
 * Cognito `sub`, every Cognito user linked — none lost, none duplicated.
 *
 * Then, if the worker has group sync (src/sync/), one IdP request creates a group with the first
 * `groupMembers` users and the benchmark times the queue consumer until the Cognito group holds
 * all of them (AdminAddUserToGroup is throttled at UserResourceUpdate = 25/s).
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { createClient } from "@propelauth/byo-node";
import { LOCAL_REGION, startLocalStack, type LocalStack } from "../../dev/local-stack/bootstrap.ts";
import type { ThrottleLimits } from "../../dev/cognito-emulator/index.ts";
import { percentile } from "../lib/stats.ts";
import { startBundleInWorkerd, type RunningWorkerd } from "../lib/workerd.ts";

export interface BulkOptions {
  readonly root: string;
  readonly scriptPath: string;
  readonly users: number;
  readonly concurrency: number;
  /** UserCreation requests/s the emulator allows. */
  readonly quota: number;
  /** Multiplier on the worker's Retry-After before the driver retries (1 = as told). */
  readonly retryAfterScale: number;
  /** Wall-clock cap for creating the users. */
  readonly deadlineMs: number;
  /** Members of the synced group (0 = skip the group sync). */
  readonly groupMembers: number;
  readonly groupDeadlineMs: number;
  readonly log: (line: string) => void;
}

/** AWS's default request-rate quotas (platform-notes A3) for every category the worker touches. */
export function awsDefaultQuotas(userCreation: number): ThrottleLimits {
  return {
    UserCreation: userCreation,
    UserRead: 120,
    UserUpdate: 25,
    UserResourceUpdate: 25,
    UserResourceRead: 50,
    UserList: 30,
    UserPoolRead: 15,
    UserPoolResourceUpdate: 15,
    UserPoolResourceRead: 20,
  };
}

export interface BulkResult {
  readonly users: number;
  readonly created: number;
  readonly concurrency: number;
  readonly quota: number;
  readonly retryAfterScale: number;
  readonly seconds: number;
  readonly usersPerSecond: number;
  readonly fractionOfQuota: number;
  /** Same, not counting the emulator's initial burst (its token bucket starts full: one second's worth). */
  readonly fractionOfQuotaAfterBurst: number;
  readonly attempts: number;
  /** IdP-visible answers other than 201, by status ("network" for failed connections). */
  readonly idpErrors: Record<string, number>;
  readonly maxAttemptsForOneUser: number;
  /** First attempt to 201, per user. */
  readonly userLatencyMs: { p50: number; p99: number; max: number };
  readonly emulator: { adminCreateUserOk: number; adminCreateUserThrottled: number; adminCreateUserCalls: number };
  readonly sidecarCommands: Record<string, number>;
  readonly verification: BulkVerification;
  readonly deadlineHit: boolean;
  readonly groupSync: GroupSyncResult;
}

export interface BulkVerification {
  readonly cognitoUsers: number;
  readonly cognitoDistinctSubs: number;
  readonly cognitoDistinctEmails: number;
  readonly expectedEmailsMissing: number;
  readonly unexpectedEmails: number;
  readonly sidecarTotalResults: number;
  readonly sidecarUsersRead: number;
  readonly sidecarDistinctUserIds: number;
  readonly sidecarUnlinked: number;
  readonly sidecarUserIdsNotInCognito: number;
  readonly cognitoUsersNotLinked: number;
  readonly passed: boolean;
  readonly problems: readonly string[];
}

export type GroupSyncResult =
  | { readonly ran: false; readonly reason: string }
  | {
      readonly ran: true;
      readonly members: number;
      readonly postStatus: number;
      readonly postMs: number;
      /** From the POST to the moment the Cognito group held every member. */
      readonly seconds: number;
      readonly membersInCognito: number;
      readonly membersPerSecond: number;
      readonly quotaPerSecond: number;
      readonly complete: boolean;
      readonly emulatorCalls: Record<string, { ok: number; throttled: number }>;
      readonly syncBatches: number;
      readonly retriedMessages: number;
    };

const MAX_ATTEMPTS = 100;
const OTHER_FAILURE_RETRY_MS = 1_000;
const CUSTOMER = "acme";

export async function measureBulkProvisioning(options: BulkOptions): Promise<BulkResult> {
  const dataDir = await mkdtemp(join(tmpdir(), "cse-bench-stack-"));
  let stack: LocalStack | undefined;
  let worker: RunningWorkerd | undefined;
  const events = { syncBatches: 0, retriedMessages: 0 };
  try {
    options.log(`bulk: starting the local stack (UserCreation ${options.quota}/s, AWS defaults elsewhere)`);
    stack = await startLocalStack({
      dataDir,
      throttle: awsDefaultQuotas(options.quota),
      customers: [{ customerId: CUSTOMER, pool: "emailAsUsername" }],
    });
    const customer = stack.customers[0];
    if (!customer?.poolRecord) throw new Error("local stack has no pool record for the bulk customer");
    const groupSyncAvailable = existsSync(join(options.root, "src", "sync", "group-sync.ts"));
    worker = await startBundleInWorkerd({
      root: options.root,
      worker: { scriptPath: options.scriptPath },
      vars: { ...stack.workerVars(), ...(groupSyncAvailable && options.groupMembers > 0 ? { GROUP_SYNC: "on" } : {}) },
      kv: { [`customer:${CUSTOMER}`]: JSON.stringify(customer.poolRecord) },
      onStdoutLine: (line) => {
        if (line.includes('"sync_batch"')) events.syncBatches += 1;
        if (line.includes('"sync_message_retried"')) events.retriedMessages += 1;
      },
    });
    stack.emulator.resetStats();
    await resetStandinCounts(stack.sidecarUrl);
    stack.emulator.setThrottle(awsDefaultQuotas(options.quota));

    options.log(`bulk: creating ${options.users} users at concurrency ${options.concurrency}`);
    const drive = await driveUserCreation(worker.url, customer.scimApiKey, options);
    const emulatorStats = stack.emulator.stats();
    const create = emulatorStats["AdminCreateUser"];
    const sidecarCommands = await standinCounts(stack.sidecarUrl);

    // Reads for verification are not part of the measured load.
    stack.emulator.setThrottle({});
    options.log("bulk: verifying Cognito and the sidecar");
    const verification = await verify(stack, customer.userPoolId, options.users);

    let groupSync: GroupSyncResult;
    if (!groupSyncAvailable) groupSync = { ran: false, reason: "src/sync/group-sync.ts does not exist in this tree" };
    else if (options.groupMembers <= 0) groupSync = { ran: false, reason: "skipped (--group-members 0)" };
    else if (verification.sidecarUsersRead < options.groupMembers) groupSync = { ran: false, reason: `only ${verification.sidecarUsersRead} linked users to put in the group` };
    else {
      stack.emulator.setThrottle(awsDefaultQuotas(options.quota));
      stack.emulator.resetStats();
      groupSync = await measureGroupSync(stack, worker.url, customer.scimApiKey, customer.userPoolId, options, events);
    }

    return {
      users: options.users,
      created: drive.created,
      concurrency: options.concurrency,
      quota: options.quota,
      retryAfterScale: options.retryAfterScale,
      seconds: drive.seconds,
      usersPerSecond: drive.created / drive.seconds,
      fractionOfQuota: drive.created / drive.seconds / options.quota,
      fractionOfQuotaAfterBurst: Math.max(0, drive.created - options.quota) / drive.seconds / options.quota,
      attempts: drive.attempts,
      idpErrors: drive.errors,
      maxAttemptsForOneUser: drive.maxAttempts,
      userLatencyMs: drive.latency,
      emulator: { adminCreateUserOk: create?.ok ?? 0, adminCreateUserThrottled: create?.throttled ?? 0, adminCreateUserCalls: create?.calls ?? 0 },
      sidecarCommands,
      verification,
      deadlineHit: drive.deadlineHit,
      groupSync,
    };
  } finally {
    await worker?.dispose().catch(() => undefined);
    await stack?.close().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

interface DriveResult {
  created: number;
  attempts: number;
  seconds: number;
  errors: Record<string, number>;
  maxAttempts: number;
  latency: { p50: number; p99: number; max: number };
  deadlineHit: boolean;
}

const userName = (i: number): string => `bulk-${String(i).padStart(6, "0")}@acme.test`;

async function driveUserCreation(workerUrl: string, scimApiKey: string, options: BulkOptions): Promise<DriveResult> {
  const started = performance.now();
  const deadline = started + options.deadlineMs;
  let next = 0;
  let created = 0;
  let attempts = 0;
  let maxAttempts = 0;
  let lastCreatedAt = started;
  let deadlineHit = false;
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const count = (key: string) => {
    errors[key] = (errors[key] ?? 0) + 1;
  };
  const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, Math.min(ms, deadline - performance.now()))));

  async function createOne(i: number): Promise<void> {
    const name = userName(i);
    const body = JSON.stringify({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: name,
      name: { givenName: "Bulk", familyName: `User${i}` },
      emails: [{ value: name, primary: true, type: "work" }],
      active: true,
    });
    const first = performance.now();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (performance.now() >= deadline) {
        deadlineHit = true;
        return;
      }
      attempts += 1;
      maxAttempts = Math.max(maxAttempts, attempt);
      let status: number;
      let retryAfter: string | null = null;
      try {
        const response = await fetch(`${workerUrl}/api/scim/Users`, {
          method: "POST",
          headers: { authorization: `Bearer ${scimApiKey}`, "content-type": "application/scim+json" },
          body,
          signal: AbortSignal.timeout(60_000),
        });
        await response.arrayBuffer();
        status = response.status;
        retryAfter = response.headers.get("retry-after");
      } catch {
        count("network");
        await sleepUntil(OTHER_FAILURE_RETRY_MS);
        continue;
      }
      if (status === 201) {
        created += 1;
        lastCreatedAt = performance.now();
        latencies.push(lastCreatedAt - first);
        return;
      }
      count(String(status));
      if (status === 409) {
        // The sidecar already holds this userName: an earlier attempt linked it. Nothing to retry.
        return;
      }
      if (status === 429 || status === 503) {
        const seconds = Number(retryAfter ?? "1");
        await sleepUntil((Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000 * options.retryAfterScale);
      } else {
        await sleepUntil(OTHER_FAILURE_RETRY_MS);
      }
    }
  }

  let progressAt = performance.now();
  async function lane(): Promise<void> {
    while (next < options.users && performance.now() < deadline) {
      const i = next++;
      await createOne(i);
      if (performance.now() - progressAt > 30_000) {
        progressAt = performance.now();
        options.log(`bulk: ${created}/${options.users} created after ${((progressAt - started) / 1000).toFixed(0)} s (${(created / ((progressAt - started) / 1000)).toFixed(1)}/s)`);
      }
    }
    if (next < options.users) deadlineHit = true;
  }
  await Promise.all(Array.from({ length: options.concurrency }, () => lane()));
  return {
    created,
    attempts,
    seconds: (lastCreatedAt - started) / 1000,
    errors,
    maxAttempts,
    latency: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.length ? Math.max(...latencies) : Number.NaN },
    deadlineHit,
  };
}

function signedCognito(stack: LocalStack) {
  const aws = new AwsClient({ ...stack.credentials, service: "cognito-idp", region: LOCAL_REGION, retries: 0 });
  return async (operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const response = await aws.fetch(`${stack.cognitoUrl}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}` },
      body: JSON.stringify(input),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${operation} failed: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };
}

interface CognitoUserRow {
  username: string;
  sub: string | undefined;
  email: string | undefined;
}

async function listAllUsers(stack: LocalStack, userPoolId: string): Promise<CognitoUserRow[]> {
  const cognito = signedCognito(stack);
  const rows: CognitoUserRow[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const answer = await cognito("ListUsers", { UserPoolId: userPoolId, Limit: 60, ...(token ? { PaginationToken: token } : {}) });
    for (const user of (answer["Users"] as { Username: string; Attributes?: { Name: string; Value?: string }[] }[] | undefined) ?? []) {
      const attr = (name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;
      rows.push({ username: user.Username, sub: attr("sub"), email: attr("email") });
    }
    token = typeof answer["PaginationToken"] === "string" ? answer["PaginationToken"] : undefined;
    if (token === undefined) break;
  }
  return rows;
}

interface LinkedUser {
  userId: string | null;
  scimId: string | undefined;
}

async function listLinkedUsers(stack: LocalStack): Promise<{ total: number; users: LinkedUser[] }> {
  const byo = createClient({ url: stack.sidecarUrl, integrationKey: stack.integrationKey });
  const users: LinkedUser[] = [];
  let total = 0;
  for (let pageNumber = 0; pageNumber < 10_000; pageNumber++) {
    const page = await byo.scim.management.getScimUsers({ customerId: CUSTOMER, pageNumber, pageSize: 100 });
    if (!page.ok) throw new Error(`GetScimUsers failed: ${JSON.stringify(page.error)}`);
    total = page.data.totalResults;
    for (const user of page.data.users) users.push({ userId: user.userId ?? null, scimId: typeof user.scimUser["id"] === "string" ? user.scimUser["id"] : undefined });
    if (page.data.users.length === 0 || users.length >= total) break;
  }
  return { total, users };
}

async function verify(stack: LocalStack, userPoolId: string, expected: number): Promise<BulkVerification> {
  const cognitoUsers = await listAllUsers(stack, userPoolId);
  const subs = new Set(cognitoUsers.map((u) => u.sub).filter((s): s is string => s !== undefined));
  const emails = new Set(cognitoUsers.map((u) => u.email).filter((e): e is string => e !== undefined));
  const expectedEmails = new Set(Array.from({ length: expected }, (_, i) => userName(i)));
  const linked = await listLinkedUsers(stack);
  const userIds = linked.users.map((u) => u.userId);
  const distinctIds = new Set(userIds.filter((id): id is string => id !== null));
  const problems: string[] = [];
  const v = {
    cognitoUsers: cognitoUsers.length,
    cognitoDistinctSubs: subs.size,
    cognitoDistinctEmails: emails.size,
    expectedEmailsMissing: [...expectedEmails].filter((e) => !emails.has(e)).length,
    unexpectedEmails: [...emails].filter((e) => !expectedEmails.has(e)).length,
    sidecarTotalResults: linked.total,
    sidecarUsersRead: linked.users.length,
    sidecarDistinctUserIds: distinctIds.size,
    sidecarUnlinked: userIds.filter((id) => id === null).length,
    sidecarUserIdsNotInCognito: [...distinctIds].filter((id) => !subs.has(id)).length,
    cognitoUsersNotLinked: [...subs].filter((s) => !distinctIds.has(s)).length,
  };
  if (v.cognitoUsers !== expected) problems.push(`Cognito holds ${v.cognitoUsers} users, expected ${expected}`);
  if (v.cognitoDistinctSubs !== v.cognitoUsers) problems.push(`${v.cognitoUsers - v.cognitoDistinctSubs} Cognito users share a sub or lack one`);
  if (v.cognitoDistinctEmails !== v.cognitoUsers) problems.push(`${v.cognitoUsers - v.cognitoDistinctEmails} duplicated or missing emails in Cognito`);
  if (v.expectedEmailsMissing > 0) problems.push(`${v.expectedEmailsMissing} expected users missing from Cognito`);
  if (v.unexpectedEmails > 0) problems.push(`${v.unexpectedEmails} unexpected users in Cognito`);
  if (v.sidecarTotalResults !== expected) problems.push(`sidecar totalResults ${v.sidecarTotalResults}, expected ${expected}`);
  if (v.sidecarUsersRead !== v.sidecarTotalResults) problems.push(`read ${v.sidecarUsersRead} of ${v.sidecarTotalResults} sidecar users`);
  if (v.sidecarUnlinked > 0) problems.push(`${v.sidecarUnlinked} sidecar users without a userId`);
  if (v.sidecarDistinctUserIds !== v.sidecarUsersRead - v.sidecarUnlinked) problems.push("some userId is linked twice");
  if (v.sidecarUserIdsNotInCognito > 0) problems.push(`${v.sidecarUserIdsNotInCognito} linked userIds are not Cognito subs`);
  if (v.cognitoUsersNotLinked > 0) problems.push(`${v.cognitoUsersNotLinked} Cognito users are not linked`);
  linkedCache.set(stack, linked.users);
  return { ...v, passed: problems.length === 0, problems };
}

/** The linked users read during verification, reused to pick group members. */
const linkedCache = new WeakMap<LocalStack, LinkedUser[]>();

async function measureGroupSync(
  stack: LocalStack,
  workerUrl: string,
  scimApiKey: string,
  userPoolId: string,
  options: BulkOptions,
  events: { syncBatches: number; retriedMessages: number },
): Promise<GroupSyncResult> {
  const members = (linkedCache.get(stack) ?? []).slice(0, options.groupMembers).filter((u) => u.scimId !== undefined && u.userId !== null);
  const expectedSubs = new Set(members.map((m) => m.userId as string));
  const displayName = `bench-${options.groupMembers}`;
  const cognitoGroup = `scim-${displayName}`;
  events.syncBatches = 0;
  events.retriedMessages = 0;
  options.log(`bulk: group sync — one POST /Groups with ${members.length} members, then waiting for Cognito group ${cognitoGroup}`);

  const started = performance.now();
  const response = await fetch(`${workerUrl}/api/scim/Groups`, {
    method: "POST",
    headers: { authorization: `Bearer ${scimApiKey}`, "content-type": "application/scim+json" },
    body: JSON.stringify({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName,
      members: members.map((m) => ({ value: m.scimId })),
    }),
    signal: AbortSignal.timeout(60_000),
  });
  await response.arrayBuffer();
  const postMs = performance.now() - started;

  const cognito = signedCognito(stack);
  const deadline = started + options.groupDeadlineMs;
  let inGroup = 0;
  let finishedAt = performance.now();
  while (performance.now() < deadline) {
    const added = stack.emulator.stats()["AdminAddUserToGroup"]?.ok ?? 0;
    if (added >= members.length) {
      finishedAt = performance.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
    finishedAt = performance.now();
  }
  // Read the group back (unthrottled) and count the expected members in it.
  stack.emulator.setThrottle({});
  try {
    let token: string | undefined;
    const seen = new Set<string>();
    for (let page = 0; page < 1_000; page++) {
      const answer = await cognito("ListUsersInGroup", { UserPoolId: userPoolId, GroupName: cognitoGroup, Limit: 60, ...(token ? { NextToken: token } : {}) });
      for (const user of (answer["Users"] as { Attributes?: { Name: string; Value?: string }[] }[] | undefined) ?? []) {
        const sub = user.Attributes?.find((a) => a.Name === "sub")?.Value;
        if (sub !== undefined && expectedSubs.has(sub)) seen.add(sub);
      }
      token = typeof answer["NextToken"] === "string" ? answer["NextToken"] : undefined;
      if (token === undefined) break;
    }
    inGroup = seen.size;
  } catch (error) {
    options.log(`bulk: could not read group ${cognitoGroup}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const seconds = (finishedAt - started) / 1000;
  const stats = stack.emulator.stats();
  const emulatorCalls: Record<string, { ok: number; throttled: number }> = {};
  for (const [operation, s] of Object.entries(stats)) emulatorCalls[operation] = { ok: s.ok, throttled: s.throttled };
  return {
    ran: true,
    members: members.length,
    postStatus: response.status,
    postMs,
    seconds,
    membersInCognito: inGroup,
    membersPerSecond: inGroup / seconds,
    quotaPerSecond: awsDefaultQuotas(options.quota).UserResourceUpdate ?? 25,
    complete: inGroup === members.length,
    emulatorCalls,
    syncBatches: events.syncBatches,
    retriedMessages: events.retriedMessages,
  };
}

async function resetStandinCounts(sidecarUrl: string): Promise<void> {
  await (await fetch(`${sidecarUrl}/__standin/command-counts/reset`, { method: "POST" })).arrayBuffer();
}

async function standinCounts(sidecarUrl: string): Promise<Record<string, number>> {
  return (await (await fetch(`${sidecarUrl}/__standin/command-counts`)).json()) as Record<string, number>;
}
