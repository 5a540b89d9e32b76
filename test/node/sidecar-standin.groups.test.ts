/**
 * /Groups on the BYO sidecar stand-in: create/get/list/put/patch/delete, Entra and Okta member
 * operations, affectedUserIds (byo-contract §10.2), unknown members, and a 1,000-member PATCH.
 */
import { describe, expect, it } from "vitest";
import {
  completedOf,
  errorOf,
  GROUP_SCHEMA,
  listedResources,
  okData,
  patchBody,
  resourceOf,
} from "../../dev/sidecar-standin/testing.ts";
import { useStandinConnectionPerTest } from "./support/standin-connection.ts";

const fixture = useStandinConnectionPerTest();
const scim = fixture.scim;
const memberIds = (group: Record<string, unknown>): unknown[] =>
  (Array.isArray(group["members"]) ? group["members"] : []).map((member: { value?: unknown }) => member.value);
const getGroup = async (id: string) => resourceOf(completedOf(await scim("GET", `/Groups/${id}`)));
const sorted = (ids: readonly string[] | undefined): string[] => [...(ids ?? [])].sort();

async function users(count: number, prefix = "member") {
  const created = [];
  for (let index = 0; index < count; index += 1) created.push(await fixture.provisionUser(`${prefix}${index}@example.com`));
  return created;
}

describe("POST /Groups", () => {
  it("creates the group at once (201) with members, and reports the members' app ids", async () => {
    const [alice, bob] = await users(2);
    const result = completedOf(
      await scim("POST", "/Groups", {
        schemas: [GROUP_SCHEMA],
        displayName: "Engineers",
        externalId: "grp-1",
        members: [{ value: alice?.scimId ?? "" }, { value: bob?.scimId ?? "" }],
      }),
    );
    expect(result.status).toBe("Completed");
    expect(result.responseHttpCode).toBe(201);
    expect(sorted(result.affectedUserIds)).toEqual(sorted([alice?.userId ?? "", bob?.userId ?? ""]));
    const group = resourceOf(result);
    expect(group).toMatchObject({
      schemas: [GROUP_SCHEMA],
      id: expect.any(String),
      displayName: "Engineers",
      externalId: "grp-1",
      members: [
        { value: alice?.scimId, display: "member0@example.com" },
        { value: bob?.scimId, display: "member1@example.com" },
      ],
      meta: { resourceType: "Group", location: `/Groups/${String(group["id"])}` },
    });
    const aliceResource = resourceOf(completedOf(await scim("GET", `/Users/${alice?.scimId ?? ""}`)));
    expect(aliceResource["groups"]).toEqual([{ value: group["id"], display: "Engineers" }]);
  });

  it("omits affectedUserIds for an empty group", async () => {
    const result = completedOf(await scim("POST", "/Groups", { displayName: "Empty" }));
    expect(result.affectedUserIds).toBeUndefined();
  });

  it("answers 400 invalidValue for a member that is not a user, or a missing displayName, and creates nothing", async () => {
    const unknown = errorOf(await scim("POST", "/Groups", { displayName: "Bad", members: [{ value: "no-such-user" }] }));
    expect(unknown).toMatchObject({ statusToReturn: 400, bodyToReturn: { scimType: "invalidValue" } });
    const missing = errorOf(await scim("POST", "/Groups", { members: [] }));
    expect(missing).toMatchObject({ statusToReturn: 400, underlyingError: { type: "MissingRequiredField", details: { field: "displayName" } } });
    expect(resourceOf(completedOf(await scim("GET", "/Groups")))["totalResults"]).toBe(0);
  });

  it("refuses the app userId as a member value (members are SCIM ids)", async () => {
    const [user] = await users(1);
    const failure = errorOf(await scim("POST", "/Groups", { displayName: "AppIds", members: [{ value: user?.userId ?? "" }] }));
    expect(failure.statusToReturn).toBe(400);
  });
});

describe("GET /Groups", () => {
  it("gets by id (404 for unknown) and filters by displayName (any case) and externalId", async () => {
    const first = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Sales", externalId: "ext-sales" })));
    completedOf(await scim("POST", "/Groups", { displayName: "Support" }));
    expect((await getGroup(String(first["id"])))["displayName"]).toBe("Sales");
    expect(errorOf(await scim("GET", "/Groups/nope"))).toMatchObject({ statusToReturn: 404, underlyingError: { type: "GroupNotFound" } });

    for (const filter of ['displayName eq "sales"', 'externalId eq "ext-sales"', `id eq "${String(first["id"])}"`]) {
      const list = completedOf(await scim("GET", `/Groups?filter=${encodeURIComponent(filter)}`));
      expect(listedResources(list).map((group) => group["id"]), filter).toEqual([first["id"]]);
    }
    expect(resourceOf(completedOf(await scim("GET", "/Groups")))).toMatchObject({ totalResults: 2, itemsPerPage: 2 });
  });

  it("honours excludedAttributes=members and Entra's membership check filter", async () => {
    const [member, outsider] = await users(2);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Check", members: [{ value: member?.scimId ?? "" }] })));
    const id = String(group["id"]);
    const without = resourceOf(completedOf(await scim("GET", `/Groups/${id}?excludedAttributes=members`)));
    expect(without).not.toHaveProperty("members");
    const check = (userScimId: string) =>
      scim("GET", `/Groups?filter=${encodeURIComponent(`id eq "${id}" and members[value eq "${userScimId}"]`)}&excludedAttributes=members`);
    expect(resourceOf(completedOf(await check(member?.scimId ?? "")))["totalResults"]).toBe(1);
    expect(resourceOf(completedOf(await check(outsider?.scimId ?? "")))["totalResults"]).toBe(0);
    const listed = listedResources(completedOf(await check(member?.scimId ?? "")));
    expect(listed[0]).not.toHaveProperty("members");
  });
});

describe("PATCH /Groups/{id}", () => {
  it("adds members (Okta/Entra add) and reports only the added ones, answering 204", async () => {
    const [a, b, c] = await users(3);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Add", members: [{ value: a?.scimId ?? "" }] })));
    const id = String(group["id"]);
    const result = completedOf(
      await scim("PATCH", `/Groups/${id}`, patchBody({ op: "Add", path: "members", value: [{ value: b?.scimId ?? "" }, { value: c?.scimId ?? "" }, { value: a?.scimId ?? "" }] })),
    );
    expect(result.responseHttpCode).toBe(204);
    expect(result.responseData).toBeUndefined();
    expect(sorted(result.affectedUserIds)).toEqual(sorted([b?.userId ?? "", c?.userId ?? ""]));
    expect(memberIds(await getGroup(id))).toEqual([a?.scimId, b?.scimId, c?.scimId]);
  });

  it("removes members with Entra's filtered path and with a value list", async () => {
    const [a, b, c] = await users(3);
    const group = resourceOf(
      completedOf(await scim("POST", "/Groups", { displayName: "Remove", members: [a, b, c].map((user) => ({ value: user?.scimId ?? "" })) })),
    );
    const id = String(group["id"]);
    const entra = completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "Remove", path: `members[value eq "${a?.scimId ?? ""}"]` })));
    expect(entra.affectedUserIds).toEqual([a?.userId]);
    const listed = completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "remove", path: "members", value: [{ value: b?.scimId ?? "" }] })));
    expect(listed.affectedUserIds).toEqual([b?.userId]);
    expect(memberIds(await getGroup(id))).toEqual([c?.scimId]);
    const aResource = resourceOf(completedOf(await scim("GET", `/Users/${a?.scimId ?? ""}`)));
    expect(aResource["groups"]).toEqual([]);
    // Removing someone who is not a member changes nothing and affects nobody.
    const noop = completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "remove", path: "members", value: [{ value: a?.scimId ?? "" }] })));
    expect(noop.affectedUserIds).toBeUndefined();
  });

  it("renames with displayName replace (Entra path form and Okta pathless form) and reports every member", async () => {
    const [a, b] = await users(2);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Old", members: [{ value: a?.scimId ?? "" }, { value: b?.scimId ?? "" }] })));
    const id = String(group["id"]);
    const renamed = completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "Replace", path: "displayName", value: "New" })));
    expect(sorted(renamed.affectedUserIds)).toEqual(sorted([a?.userId ?? "", b?.userId ?? ""]));
    const okta = completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "replace", value: { id, displayName: "Newer" } })));
    expect(sorted(okta.affectedUserIds)).toEqual(sorted([a?.userId ?? "", b?.userId ?? ""]));
    expect((await getGroup(id))["displayName"]).toBe("Newer");
    const membership = okData(await fixture.harness().byo.scim.getScimUser({ scimConnectionId: fixture.connection().connectionId, userId: a?.userId ?? "" }));
    expect(membership.groups).toEqual([{ groupId: id, displayName: "Newer" }]);
  });

  it("accepts displayName written with the Group schema URN", async () => {
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Short" })));
    const id = String(group["id"]);
    completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "replace", path: `${GROUP_SCHEMA}:displayName`, value: "Qualified" })));
    expect((await getGroup(id))["displayName"]).toBe("Qualified");
  });

  it("answers 200 with the group when the IdP asks for attributes", async () => {
    const [a] = await users(1);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Attrs" })));
    const result = completedOf(
      await scim("PATCH", `/Groups/${String(group["id"])}?attributes=members`, patchBody({ op: "add", path: "members", value: [{ value: a?.scimId ?? "" }] })),
    );
    expect(result.responseHttpCode).toBe(200);
    expect(memberIds(resourceOf(result))).toEqual([a?.scimId]);
  });

  it("replaces the member list and removes all members with a value-less remove", async () => {
    const [a, b, c] = await users(3);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Replace", members: [{ value: a?.scimId ?? "" }, { value: b?.scimId ?? "" }] })));
    const id = String(group["id"]);
    const replaced = completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "replace", path: "members", value: [{ value: b?.scimId ?? "" }, { value: c?.scimId ?? "" }] })));
    expect(sorted(replaced.affectedUserIds)).toEqual(sorted([a?.userId ?? "", c?.userId ?? ""]));
    expect(memberIds(await getGroup(id))).toEqual([b?.scimId, c?.scimId]);
    const cleared = completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "remove", path: "members" })));
    expect(sorted(cleared.affectedUserIds)).toEqual(sorted([b?.userId ?? "", c?.userId ?? ""]));
    expect(memberIds(await getGroup(id))).toEqual([]);
  });

  it("answers 400 invalidValue for an unknown member and applies none of the PATCH", async () => {
    const [a] = await users(1);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Atomic" })));
    const id = String(group["id"]);
    const failure = errorOf(
      await scim(
        "PATCH",
        `/Groups/${id}`,
        patchBody(
          { op: "replace", path: "displayName", value: "Changed" },
          { op: "add", path: "members", value: [{ value: a?.scimId ?? "" }, { value: "ghost" }] },
        ),
      ),
    );
    expect(failure).toMatchObject({ statusToReturn: 400, bodyToReturn: { scimType: "invalidValue" }, underlyingError: { type: "InvalidPatchValue", details: { field: "members" } } });
    const after = await getGroup(id);
    expect(after).toMatchObject({ displayName: "Atomic", members: [], meta: { version: 'W/"1"' } });
  });

  it("answers 400 invalidPath for unsupported member paths and 404 for unknown groups", async () => {
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Paths" })));
    const id = String(group["id"]);
    const badPath = errorOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "add", path: 'members[value eq "x"]', value: [{ value: "x" }] })));
    expect(badPath).toMatchObject({ statusToReturn: 400, bodyToReturn: { scimType: "invalidPath" } });
    const missing = errorOf(await scim("PATCH", "/Groups/nope", patchBody({ op: "replace", path: "displayName", value: "x" })));
    expect(missing).toMatchObject({ statusToReturn: 404, underlyingError: { type: "GroupNotFound" } });
  });

  it("adds 1,000 members in one PATCH, then removes one without re-sending the group", async () => {
    const many = await Promise.all(Array.from({ length: 1000 }, (_, index) => fixture.provisionUser(`bulk${index}@example.com`)));
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Everyone" })));
    const id = String(group["id"]);
    const added = completedOf(
      await scim("PATCH", `/Groups/${id}`, patchBody({ op: "add", path: "members", value: many.map((user) => ({ value: user.scimId })) })),
    );
    expect(added.affectedUserIds).toHaveLength(1000);
    expect(new Set(added.affectedUserIds)).toEqual(new Set(many.map((user) => user.userId)));

    const started = performance.now();
    const removeOne = completedOf(await scim("PATCH", `/Groups/${id}`, patchBody({ op: "Remove", path: `members[value eq "${many[500]?.scimId ?? ""}"]` })));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(removeOne.affectedUserIds).toEqual([many[500]?.userId]);
    expect(removeOne.responseData).toBeUndefined();

    const stored = await getGroup(id);
    expect(memberIds(stored)).toHaveLength(999);
    expect(memberIds(stored)).not.toContain(many[500]?.scimId);
  }, 60_000);
});

describe("PUT and DELETE /Groups/{id}", () => {
  it("PUT replaces attributes and members, reporting added and removed members", async () => {
    const [a, b] = await users(2);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Put", members: [{ value: a?.scimId ?? "" }] })));
    const id = String(group["id"]);
    const result = completedOf(await scim("PUT", `/Groups/${id}`, { schemas: [GROUP_SCHEMA], displayName: "Put", members: [{ value: b?.scimId ?? "" }] }));
    expect(result.responseHttpCode).toBe(200);
    expect(sorted(result.affectedUserIds)).toEqual(sorted([a?.userId ?? "", b?.userId ?? ""]));
    expect(memberIds(resourceOf(result))).toEqual([b?.scimId]);
  });

  it("PUT without members keeps them; a rename reports every member", async () => {
    const [a] = await users(1);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Keep", members: [{ value: a?.scimId ?? "" }] })));
    const id = String(group["id"]);
    const result = completedOf(await scim("PUT", `/Groups/${id}`, { displayName: "Kept" }));
    expect(result.affectedUserIds).toEqual([a?.userId]);
    expect(memberIds(resourceOf(result))).toEqual([a?.scimId]);
  });

  it("DELETE answers 204, reports every member, and clears their group lists", async () => {
    const [a, b] = await users(2);
    const group = resourceOf(completedOf(await scim("POST", "/Groups", { displayName: "Gone", members: [{ value: a?.scimId ?? "" }, { value: b?.scimId ?? "" }] })));
    const id = String(group["id"]);
    const deleted = completedOf(await scim("DELETE", `/Groups/${id}`));
    expect(deleted.responseHttpCode).toBe(204);
    expect(deleted.responseData).toBeUndefined();
    expect(sorted(deleted.affectedUserIds)).toEqual(sorted([a?.userId ?? "", b?.userId ?? ""]));
    expect(errorOf(await scim("GET", `/Groups/${id}`)).statusToReturn).toBe(404);
    expect(resourceOf(completedOf(await scim("GET", `/Users/${a?.scimId ?? ""}`)))["groups"]).toEqual([]);
    expect(okData(await fixture.harness().byo.scim.getScimUser({ scimConnectionId: fixture.connection().connectionId, userId: b?.userId ?? "" })).groups).toEqual([]);
  });
});
