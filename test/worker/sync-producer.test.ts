/** The producer side: Completed answers that name users reach the sync queue, the IdP is never held up. */
import { describe, expect, it } from "vitest";
import { toSyncMessages } from "../../src/sync/sync-message";
import { completed, linkUser, scimUser } from "./support/answers";
import { syncWorld } from "./support/sync-harness";

const patch = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "name.givenName", value: "Ada" }] };

describe("enqueueing after a Completed answer", () => {
  it("answers the IdP with the sidecar's response and enqueues exactly the affected ids", async () => {
    const w = await syncWorld();
    w.sidecar.once("ScimRequest", completed(w.connectionId, 200, scimUser("scim-1", "ada"), ["app-1", "app-2"]));
    const response = await w.scim("/Users/scim-1", { method: "PATCH", json: patch });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(scimUser("scim-1", "ada"));
    expect(w.queue.sent).toEqual([{ body: { connectionId: w.connectionId, userIds: ["app-1", "app-2"] }, delaySeconds: undefined }]);
    expect(w.logs.find((l) => l["event"] === "scim_request")).toMatchObject({ outcome: "completed", syncQueued: 2, status: 200 });
    // The producer touches nothing upstream itself.
    expect(w.cognito.calls).toEqual([]);
    expect(w.sidecar.commands("GetScimUser")).toEqual([]);
  });

  it("enqueues nothing when the answer names no users", async () => {
    const w = await syncWorld();
    w.sidecar.once("ScimRequest", completed(w.connectionId, 200, { Resources: [] }));
    w.sidecar.once("ScimRequest", completed(w.connectionId, 200, { Resources: [] }, []));
    expect((await w.scim("/Users")).status).toBe(200);
    expect((await w.scim("/Users")).status).toBe(200);
    expect(w.queue.sent).toEqual([]);
  });

  it("enqueues the users a LinkUser's final answer names", async () => {
    const w = await syncWorld();
    w.sidecar.once("ScimRequest", linkUser(w.connectionId, { userName: "ada" }));
    w.sidecar.once("LinkScimUser", (data) => completed(w.connectionId, 201, scimUser("s", "ada"), [String(data["userId"])]));
    expect((await w.scim("/Users", { method: "POST", json: { userName: "ada" } })).status).toBe(201);
    const [user] = w.cognito.users(w.userPoolId);
    expect(w.queue.sent.map((s) => s.body)).toEqual([{ connectionId: w.connectionId, userIds: [user?.attributes["sub"]] }]);
  });

  it("cuts 1,000 ids into messages of 25, each id once, every message well under 128 KB, in sendBatch calls of at most 100", async () => {
    const w = await syncWorld();
    const ids = Array.from({ length: 1_000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    w.sidecar.once("ScimRequest", completed(w.connectionId, 204, undefined, [...ids, ids[0] as string]));
    expect((await w.scim("/Groups/g1", { method: "PATCH", json: patch })).status).toBe(204);
    expect(w.queue.sent).toHaveLength(40);
    expect(w.queue.sent.every((s) => s.body.userIds.length === 25 && s.body.connectionId === w.connectionId)).toBe(true);
    expect(w.queue.sent.flatMap((s) => s.body.userIds)).toEqual(ids);
  });

  it("keeps messages under the size cap even with very long ids", () => {
    const ids = Array.from({ length: 60 }, (_, i) => `${"x".repeat(500)}-${i}`);
    const messages = toSyncMessages("conn", ids);
    expect(messages.flatMap((m) => m.userIds)).toEqual(ids);
    for (const m of messages) expect(new TextEncoder().encode(JSON.stringify(m)).byteLength).toBeLessThanOrEqual(64 * 1024);
  });

  it("does not hold the IdP's answer while the queue is slow", async () => {
    const w = await syncWorld();
    w.sidecar.once("ScimRequest", completed(w.connectionId, 200, scimUser("s", "ada"), ["app-1"]));
    const held = w.queue.hold();
    const { response, settled } = await w.scimUnsettled("/Users/s", { method: "PATCH", json: patch });
    expect(response.status).toBe(200);
    expect(w.queue.sent).toEqual([]);
    held.release();
    await settled;
    expect(w.queue.sent.map((s) => s.body.userIds)).toEqual([["app-1"]]);
  });

  it("still answers the IdP, and logs, when the send fails", async () => {
    const w = await syncWorld();
    w.queue.failSends(1);
    w.sidecar.once("ScimRequest", completed(w.connectionId, 200, scimUser("s", "ada"), ["app-1"]));
    const response = await w.scim("/Users/s", { method: "PATCH", json: patch });
    expect(response.status).toBe(200);
    expect(w.queue.sent).toEqual([]);
    expect(w.logs.find((l) => l["event"] === "sync_enqueue_failed")).toMatchObject({ connectionId: w.connectionId, users: 1, messages: 1 });
  });

  it("still answers the IdP, and logs, when SYNC_QUEUE is not bound", async () => {
    const w = await syncWorld({ withQueue: false });
    w.sidecar.once("ScimRequest", completed(w.connectionId, 200, scimUser("s", "ada"), ["app-1"]));
    expect((await w.scim("/Users/s", { method: "PATCH", json: patch })).status).toBe(200);
    expect(w.logs.find((l) => l["event"] === "sync_enqueue_failed")).toMatchObject({ reason: "SYNC_QUEUE binding missing" });
  });
});

describe("group deletions", () => {
  it("with GROUP_SYNC and GROUP_DELETE on, a DELETE /Groups/{id} enqueues the group id, with or without members", async () => {
    const w = await syncWorld({ vars: { GROUP_SYNC: "on", GROUP_DELETE: "on" } });
    w.sidecar.once("ScimRequest", completed(w.connectionId, 204, undefined, ["app-1"]));
    w.sidecar.once("ScimRequest", completed(w.connectionId, 204));
    expect((await w.scim("/Groups/g%201", { method: "DELETE" })).status).toBe(204);
    expect((await w.scim("/Groups/g2", { method: "DELETE" })).status).toBe(204);
    expect(w.queue.sent.map((s) => s.body)).toEqual([
      { connectionId: w.connectionId, userIds: ["app-1"], deletedGroupIds: ["g 1"] },
      { connectionId: w.connectionId, userIds: [], deletedGroupIds: ["g2"] },
    ]);
  });

  it("sends no deletion when GROUP_DELETE is off, or when the delete failed", async () => {
    const w = await syncWorld({ vars: { GROUP_SYNC: "on" } });
    w.sidecar.once("ScimRequest", completed(w.connectionId, 204, undefined, ["app-1"]));
    await w.scim("/Groups/g1", { method: "DELETE" });
    expect(w.queue.sent.map((s) => s.body)).toEqual([{ connectionId: w.connectionId, userIds: ["app-1"] }]);

    const d = await syncWorld({ vars: { GROUP_SYNC: "on", GROUP_DELETE: "on" } });
    d.sidecar.once("ScimRequest", completed(d.connectionId, 404, { status: "404" }));
    d.sidecar.once("ScimRequest", completed(d.connectionId, 204));
    await d.scim("/Groups/g1", { method: "DELETE" });
    await d.scim("/Users/u1", { method: "DELETE" });
    expect(d.queue.sent).toEqual([]);
  });
});
