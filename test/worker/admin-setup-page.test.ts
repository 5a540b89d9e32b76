import { describe, expect, it } from "vitest";
import { createAdminHarness, readJson, uniqueCustomer, type AdminHarness } from "./support/admin-fixtures";

const ORIGIN = "https://scim.example.com";
const BASE_URL = `${ORIGIN}/api/scim`;

interface PageFacts {
  html: string;
  text: (id: string) => string | undefined;
  forms: { id: string | null; method: string | null; action: string | null; hidden: Record<string, string> }[];
  copyTargets: string[];
  nonces: string[];
  inlineHandlers: string[];
}

const VOID_ELEMENTS = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);

/** Reads the page with workerd's HTMLRewriter (a streaming HTML parser), not with regexes. */
async function inspect(response: Response): Promise<PageFacts> {
  const html = await response.text();
  const texts = new Map<string, string>();
  const forms: PageFacts["forms"] = [];
  const copyTargets: string[] = [];
  const nonces: string[] = [];
  const inlineHandlers: string[] = [];
  // Text is credited to every enclosing element with an id, so a section's text includes its children's.
  const open: string[] = [];
  await new HTMLRewriter()
    .on("[id]", {
      element(element) {
        const id = element.getAttribute("id")!;
        texts.set(id, texts.get(id) ?? "");
        if (VOID_ELEMENTS.has(element.tagName)) return;
        open.push(id);
        element.onEndTag(() => {
          open.splice(open.lastIndexOf(id), 1);
        });
      },
    })
    .onDocument({
      text(chunk) {
        for (const id of open) texts.set(id, (texts.get(id) ?? "") + chunk.text);
      },
    })
    .on("form", {
      element(element) {
        forms.push({ id: element.getAttribute("id"), method: element.getAttribute("method"), action: element.getAttribute("action"), hidden: {} });
      },
    })
    .on("form input[type=hidden]", {
      element(element) {
        const form = forms[forms.length - 1];
        if (form) form.hidden[element.getAttribute("name") ?? ""] = element.getAttribute("value") ?? "";
      },
    })
    .on("button[data-copy]", {
      element(element) {
        copyTargets.push(element.getAttribute("data-copy")!);
      },
    })
    .on("script, style", {
      element(element) {
        nonces.push(element.getAttribute("nonce") ?? "(none)");
      },
    })
    .on("*", {
      element(element) {
        for (const [name] of element.attributes) if (name?.startsWith("on")) inlineHandlers.push(name);
      },
    })
    .transform(new Response(html))
    .text();
  return { html, text: (id) => texts.get(id)?.trim(), forms, copyTargets, nonces, inlineHandlers };
}

function csrfCookieOf(response: Response): string {
  const cookie = response.headers.get("set-cookie") ?? "";
  const match = /admin_csrf=([A-Za-z0-9_-]+)/.exec(cookie);
  expect(match, cookie).not.toBeNull();
  return match![1]!;
}

async function openPage(h: AdminHarness, customerId: string) {
  const response = await h.api(`/admin/setup/${customerId}`);
  const csrf = csrfCookieOf(response);
  return { response, csrf, page: await inspect(response) };
}

function formPost(h: AdminHarness, path: string, fields: Record<string, string>, csrfCookie: string | null, headers: Record<string, string> = {}) {
  return h.api(path, {
    method: "POST",
    body: new URLSearchParams(fields).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: ORIGIN,
      "sec-fetch-site": "same-origin",
      ...(csrfCookie === null ? {} : { cookie: `admin_csrf=${csrfCookie}` }),
      ...headers,
    },
  });
}

describe("GET /admin/setup/{customerId}", () => {
  it("shows the base URL, a create form with a CSRF token, and Okta and Entra ID instructions", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const { response, csrf, page } = await openPage(h, customerId);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(page.text("scim-base-url")).toBe(BASE_URL);
    expect(page.text("customer-id")).toBe(customerId);
    expect(page.copyTargets).toEqual(["scim-base-url"]);
    expect(page.forms).toEqual([{ id: "create-connection", method: "post", action: `/admin/setup/${customerId}/connection`, hidden: { csrf } }]);
    expect(page.text("scim-api-key")).toBeUndefined();
    expect(page.text("pool-mapping")).toContain("No user pool is mapped");

    const okta = page.text("okta")!;
    for (const words of ["SCIM connector base URL", BASE_URL, "Unique identifier field for users", "userName", "HTTP Header", "Bearer", "Push New Users", "Push Profile Updates", "Deactivate Users"]) {
      expect(okta).toContain(words);
    }
    const entra = page.text("entra")!;
    for (const words of ["Provisioning Mode", "Automatic", "Tenant URL", BASE_URL, "Secret Token", "Test Connection", "userPrincipalName"]) {
      expect(entra).toContain(words);
    }
  });

  it("sends headers that keep the page private, unframed and script-locked", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const { response, page } = await openPage(h, uniqueCustomer());
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("set-cookie")).toMatch(/admin_csrf=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Secure/);
    const csp = response.headers.get("content-security-policy")!;
    const nonce = /script-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.nonces).toEqual([nonce, nonce]);
    expect(page.inlineHandlers).toEqual([]);
  });

  it("shows an existing connection with a rotate form, escapes what the sidecar says, and never a key", async () => {
    const h = await createAdminHarness({ auth: "token", vars: { DEFAULT_USER_POOL_ID: "local_Default1" } });
    const customerId = uniqueCustomer();
    const connection = h.registry.add(customerId, { displayName: "<img src=x onerror=alert(1)>", scimApiKeyValidUntil: 1_900_000_000 });
    const { csrf, page } = await openPage(h, customerId);
    expect(page.text("connection-id")).toBe(connection.connectionId);
    expect(page.text("key-expires")).toBe("2030-03-17T17:46:40Z");
    expect(page.forms).toEqual([{ id: "rotate-key", method: "post", action: `/admin/setup/${customerId}/rotate-key`, hidden: { csrf } }]);
    expect(page.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page.html).not.toContain("<img");
    expect(page.html).not.toContain(connection.apiKey);
    expect(page.text("pool-mapping")).toContain("local_Default1");
  });

  it("keeps the CSRF token of an existing cookie", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const first = await openPage(h, uniqueCustomer());
    const again = await h.api(`/admin/setup/${uniqueCustomer()}`, { headers: { cookie: `admin_csrf=${first.csrf}` } });
    expect(csrfCookieOf(again)).toBe(first.csrf);
  });

  it("says the service is unreachable (502, no forms) when the sidecar is down", async () => {
    const h = await createAdminHarness({ auth: "token" });
    h.sidecar.once("FetchScimConnection", "network-error");
    const response = await h.api(`/admin/setup/${uniqueCustomer()}`);
    expect(response.status).toBe(502);
    const page = await inspect(response);
    expect(page.forms).toEqual([]);
    expect(page.text("connection")).toContain("could not be reached");
  });

  it("refuses a malformed customer id and needs auth like every admin route", async () => {
    const h = await createAdminHarness({ auth: "token" });
    expect((await h.api("/admin/setup/%3Cscript%3E")).status).toBe(400);
    expect((await h.api(`/admin/setup/${uniqueCustomer()}`, { credentials: "none" })).status).toBe(401);
  });

  it("works behind Cloudflare Access", async () => {
    const h = await createAdminHarness({ auth: "access" });
    const { response } = await openPage(h, uniqueCustomer());
    expect(response.status).toBe(200);
    expect(h.events("admin_action")[0]).toMatchObject({ action: "setup.view", via: "access-jwt" });
  });
});

describe("the setup page's forms", () => {
  it("create the connection and show the key exactly once", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const { csrf } = await openPage(h, customerId);
    const response = await formPost(h, `/admin/setup/${customerId}/connection`, { csrf, displayName: "Acme via Okta" }, csrf);
    const page = await inspect(response);
    expect(response.status, page.html).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const connection = h.registry.byCustomer(customerId)!;
    expect(connection.displayName).toBe("Acme via Okta");
    expect(page.text("scim-api-key")).toBe(connection.apiKey);
    expect(page.copyTargets).toEqual(["scim-api-key", "scim-base-url"]);
    expect(page.text("new-key")).toContain("shown only this once");
    expect(page.forms.map((f) => f.id)).toEqual(["rotate-key"]);
    expect(h.events("admin_action").map((l) => l["action"])).toEqual(["setup.view", "setup.create"]);
    expect(h.events("admin_action")[1]).toMatchObject({ action: "setup.create", customerId, connectionId: connection.connectionId, changed: ["connection created"] });
    expect(h.rawLogs.join("\n")).not.toContain(connection.apiKey);

    const later = await openPage(h, customerId);
    expect(later.page.html).not.toContain(connection.apiKey);
    expect(later.page.text("scim-api-key")).toBeUndefined();
  });

  it("rotate the key and show the new one once", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const connection = h.registry.add(customerId);
    const oldKey = connection.apiKey;
    const { csrf } = await openPage(h, customerId);
    const response = await formPost(h, `/admin/setup/${customerId}/rotate-key`, { csrf }, csrf);
    const page = await inspect(response);
    expect(response.status).toBe(200);
    expect(connection.apiKey).not.toBe(oldKey);
    expect(page.text("scim-api-key")).toBe(connection.apiKey);
    expect(page.html).not.toContain(oldKey);
    expect(page.text("notice")).toContain("previous key no longer works");
  });

  it("explain instead of failing when the connection already exists, or does not exist yet", async () => {
    const h = await createAdminHarness({ auth: "token" });
    const existing = uniqueCustomer();
    const connection = h.registry.add(existing);
    const { csrf } = await openPage(h, existing);
    const duplicate = await formPost(h, `/admin/setup/${existing}/connection`, { csrf }, csrf);
    expect(duplicate.status).toBe(409);
    const duplicatePage = await inspect(duplicate);
    expect(duplicatePage.text("notice")).toContain("already exists");
    expect(duplicatePage.html).not.toContain(connection.apiKey);

    const missing = await formPost(h, `/admin/setup/${uniqueCustomer()}/rotate-key`, { csrf }, csrf);
    expect(missing.status).toBe(404);
    expect((await inspect(missing)).text("notice")).toContain("create one first");
  });

  it.each([
    ["no token in the form", (csrf: string) => ({ fields: {}, cookie: csrf as string | null, headers: {} })],
    ["no cookie", (csrf: string) => ({ fields: { csrf }, cookie: null, headers: {} })],
    ["a token that does not match the cookie", (csrf: string) => ({ fields: { csrf: `${csrf.slice(0, -1)}A` }, cookie: `${csrf.slice(0, -1)}B`, headers: {} })],
    ["a post from another site", (csrf: string) => ({ fields: { csrf }, cookie: csrf, headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" } })],
    ["a JSON body", (csrf: string) => ({ fields: { csrf }, cookie: csrf, headers: { "content-type": "application/json" } })],
  ])("refuse %s with 403 and change nothing", async (_label, build) => {
    const h = await createAdminHarness({ auth: "token" });
    const customerId = uniqueCustomer();
    const connection = h.registry.add(customerId);
    const oldKey = connection.apiKey;
    const { csrf } = await openPage(h, customerId);
    const { fields, cookie, headers } = build(csrf);
    const callsBefore = h.sidecar.calls.length;
    for (const action of ["rotate-key", "connection"]) {
      const response = await formPost(h, `/admin/setup/${customerId}/${action}`, fields as Record<string, string>, cookie, headers);
      expect(response.status).toBe(403);
      expect((await readJson<{ error: { code: string } }>(response)).error.code).toMatch(/^(csrf_token_invalid|cross_site_request)$/);
    }
    expect(h.sidecar.calls.length).toBe(callsBefore);
    expect(connection.apiKey).toBe(oldKey);
  });
});
