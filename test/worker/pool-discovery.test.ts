/** POOL_TAG_KEY: a customer without a `customer:<id>` record finds its pool by tag, cached in KV (hits and misses). */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { completed, linkUser, scimUser } from "./support/answers";
import { SHARED_POOL_ID, uniquePoolId } from "./support/harness";
import { FAKE_ACCOUNT_ID, syncWorld } from "./support/sync-harness";

const TAG = "scim:customer-id";
const discovery = { POOL_TAG_KEY: TAG, AWS_ACCOUNT_ID: FAKE_ACCOUNT_ID };
const createBody = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada" };

async function provision(w: Awaited<ReturnType<typeof syncWorld>>, userName: string) {
  w.sidecar.once("ScimRequest", linkUser(w.connectionId, { userName }));
  w.sidecar.once("LinkScimUser", completed(w.connectionId, 201, scimUser(`s-${userName}`, userName)));
  return w.scim("/Users", { method: "POST", json: { ...createBody, userName } });
}

describe("finding a pool by tag", () => {
  it("uses the pool tagged for the customer, then answers the next lookup from KV without listing pools", async () => {
    const w = await syncWorld({ mapped: false, vars: discovery });
    const decoy = uniquePoolId();
    w.cognito.addPool(decoy, {});
    w.cognito.tagPool(decoy, { [TAG]: "someone-else" });
    w.cognito.tagPool(w.userPoolId, { [TAG]: w.customerId, team: "x" });

    expect((await provision(w, "ada")).status).toBe(201);
    expect(w.cognito.users(w.userPoolId).map((u) => u.username)).toEqual(["ada"]);
    expect(w.cognito.users(decoy)).toEqual([]);
    expect(w.cognito.calls.filter((c) => c.operation === "ListUserPools").map((c) => c.input)).toEqual([{ MaxResults: 60 }]);
    const arns = w.cognito.calls.filter((c) => c.operation === "ListTagsForResource").map((c) => c.input["ResourceArn"]);
    expect(arns.sort()).toEqual([decoy, w.userPoolId].map((id) => `arn:aws:cognito-idp:local:${FAKE_ACCOUNT_ID}:userpool/${id}`).sort());

    const listed = w.cognito.count("ListUserPools");
    const tagged = w.cognito.count("ListTagsForResource");
    expect((await provision(w, "bob")).status).toBe(201);
    expect(w.cognito.count("ListUserPools")).toBe(listed);
    expect(w.cognito.count("ListTagsForResource")).toBe(tagged);
    expect(w.cognito.users(w.userPoolId)).toHaveLength(2);

    const { keys } = await env.POOLS.list({ prefix: `pool-discovery:${w.customerId}` });
    expect(keys).toHaveLength(1);
    expect(await env.POOLS.get(`pool-discovery:${w.customerId}`, "json")).toEqual({ userPoolId: w.userPoolId });
    const ttl = (keys[0]?.expiration ?? 0) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);
  });

  it("treats a discovered pool as the customer's own (no tenant attribute)", async () => {
    const w = await syncWorld({ mapped: false, vars: discovery });
    w.cognito.tagPool(w.userPoolId, { [TAG]: w.customerId });
    expect((await provision(w, "ada")).status).toBe(201);
    expect(w.cognito.users(w.userPoolId)[0]?.attributes["custom:scim_customer"]).toBeUndefined();
  });

  it("pages through ListUserPools (60 at a time)", async () => {
    const w = await syncWorld({ mapped: false, vars: discovery });
    for (let i = 0; i < 130; i++) w.cognito.addPool(uniquePoolId(), {});
    const last = uniquePoolId();
    w.cognito.addPool(last, {});
    w.cognito.tagPool(last, { [TAG]: w.customerId });
    expect((await provision(w, "ada")).status).toBe(201);
    expect(w.cognito.calls.filter((c) => c.operation === "ListUserPools").map((c) => c.input)).toEqual([
      { MaxResults: 60 },
      { MaxResults: 60, NextToken: "60" },
      { MaxResults: 60, NextToken: "120" },
    ]);
    expect(w.cognito.users(last)).toHaveLength(1);
  });

  it("caches a miss too (shorter TTL) and falls back to DEFAULT_USER_POOL_ID", async () => {
    const w = await syncWorld({ mapped: false, userPoolId: SHARED_POOL_ID, vars: { ...discovery, DEFAULT_USER_POOL_ID: SHARED_POOL_ID } });
    expect((await provision(w, "ada")).status).toBe(201);
    expect(w.cognito.users(SHARED_POOL_ID).find((u) => u.username === "ada")?.attributes["custom:scim_customer"]).toBe(w.customerId);
    expect(w.cognito.count("ListUserPools")).toBe(1);

    expect((await provision(w, "bob")).status).toBe(201);
    expect(w.cognito.count("ListUserPools")).toBe(1);
    expect(await env.POOLS.get(`pool-discovery:${w.customerId}`, "json")).toEqual({ userPoolId: null });
    const { keys } = await env.POOLS.list({ prefix: `pool-discovery:${w.customerId}` });
    const ttl = (keys[0]?.expiration ?? 0) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(240);
    expect(ttl).toBeLessThanOrEqual(300);
  });

  it("a customer record wins: no pools are listed", async () => {
    const w = await syncWorld({ vars: discovery });
    expect((await provision(w, "ada")).status).toBe(201);
    expect(w.cognito.count("ListUserPools")).toBe(0);
    expect(w.cognito.count("ListTagsForResource")).toBe(0);
  });

  it("refuses to guess between two pools carrying the same tag (500, logged, not cached)", async () => {
    const w = await syncWorld({ mapped: false, vars: discovery });
    const twin = uniquePoolId();
    w.cognito.addPool(twin, {});
    w.cognito.tagPool(w.userPoolId, { [TAG]: w.customerId });
    w.cognito.tagPool(twin, { [TAG]: w.customerId });
    w.sidecar.once("ScimRequest", linkUser(w.connectionId, { userName: "ada" }));
    expect((await w.scim("/Users", { method: "POST", json: createBody })).status).toBe(500);
    expect(w.cognito.users(w.userPoolId)).toEqual([]);
    expect(w.cognito.users(twin)).toEqual([]);
    expect(await env.POOLS.get(`pool-discovery:${w.customerId}`)).toBeNull();
    expect(w.logs.find((l) => l["event"] === "scim_request")?.["reason"]).toContain("2 pools carry");
  });

  it("is off without POOL_TAG_KEY, and POOL_TAG_KEY needs AWS_ACCOUNT_ID", async () => {
    const off = await syncWorld({ mapped: false });
    off.sidecar.once("ScimRequest", linkUser(off.connectionId, { userName: "ada" }));
    expect((await off.scim("/Users", { method: "POST", json: createBody })).status).toBe(500);
    expect(off.cognito.calls).toEqual([]);

    const noAccount = await syncWorld({ mapped: false, vars: { POOL_TAG_KEY: TAG } });
    const response = await noAccount.scim("/Users", { method: "POST", json: createBody });
    expect(response.status).toBe(500);
    expect(noAccount.logs.find((l) => l["event"] === "config_invalid")).toMatchObject({ variables: ["AWS_ACCOUNT_ID"] });
  });

  it("in the consumer, a discovery scan longer than the budget is retried to the dead-letter queue, never carried over for ever", async () => {
    const w = await syncWorld({ mapped: false, vars: { ...discovery, SYNC_SUBREQUEST_BUDGET: "20" } });
    for (let i = 0; i < 30; i++) w.cognito.addPool(uniquePoolId(), {});
    const { user, userId } = w.linkedUser("ada", {}, { parsedUserData: { firstName: "Ada" } });
    w.queue.pending.push({ body: { connectionId: w.connectionId, userIds: [userId] }, attempts: 1 });
    const drained = await w.drain({ maxRetries: 2, maxInvocations: 10 });
    expect(drained.deadLettered).toEqual([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(drained.invocations).toBe(3);
    expect(w.queue.sent).toEqual([]);
    expect(Math.max(...drained.outboundPerInvocation)).toBeLessThanOrEqual(20);
    expect(user.attributes["given_name"]).toBeUndefined();
    expect(w.logs.find((l) => l["event"] === "sync_message_retried")).toMatchObject({ reason: "subrequest budget spent while resolving the pool" });
  });

  it("serves the sync consumer too", async () => {
    const w = await syncWorld({ mapped: false, vars: discovery });
    w.cognito.tagPool(w.userPoolId, { [TAG]: w.customerId });
    const { user, userId } = w.linkedUser("ada", {}, { parsedUserData: { firstName: "Ada" } });
    const delivery = await w.deliver([{ connectionId: w.connectionId, userIds: [userId] }]);
    expect(delivery.messages[0]?.acked).toBe(true);
    expect(user.attributes["given_name"]).toBe("Ada");
  });
});

describe("pool discovery under partial failure", () => {
  it("skips pools it may not read, still finds the tagged one, and caches a failed scan briefly", async () => {
    const w = await syncWorld({ mapped: false, vars: discovery });
    const forbidden = uniquePoolId();
    w.cognito.addPool(forbidden, {});
    const tagged = uniquePoolId();
    w.cognito.addPool(tagged, {});
    w.cognito.tagPool(tagged, { [TAG]: w.customerId });
    w.cognito.failNext("ListTagsForResource", { errorType: "AccessDeniedException", status: 400 });
    expect((await provision(w, "ada")).status).toBe(201);
    expect(w.cognito.users(tagged)).toHaveLength(1);
    expect(w.logs.some((l) => l["event"] === "pool_discovery_skipped_pool")).toBe(true);
  });

  it("remembers a failed scan for a minute instead of rescanning on every request", async () => {
    const w = await syncWorld({ mapped: false, vars: discovery });
    w.cognito.failNext("ListUserPools", { errorType: "InternalErrorException", status: 500 }, 1000);
    expect((await provision(w, "ada")).status).toBe(503);
    const scans = w.cognito.count("ListUserPools");
    expect((await provision(w, "bob")).status).toBe(503);
    expect(w.cognito.count("ListUserPools")).toBe(scans);
  });
});
