/**
 * The customer setup page in a real browser: Debian's headless Chromium driven by playwright-core,
 * against the worker under `wrangler dev` (workerd) wired to the local stack. Run by
 * `npm run test:browser` (and by CI after it installs Chromium).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { unstable_dev, type Unstable_DevWorker } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../dev/local-stack/bootstrap.ts";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

describe("setup page in headless Chromium", () => {
  let stack: LocalStack;
  let worker: Unstable_DevWorker;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let origin: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "scim-edge-browser-"));
    stack = await startLocalStack({ dataDir: join(dataDir, "cognito") });
    worker = await unstable_dev("src/index.ts", {
      config: "wrangler.toml",
      ip: "127.0.0.1",
      port: 0,
      persist: false,
      logLevel: "warn",
      vars: stack.workerVars(),
      experimental: { disableExperimentalWarning: true },
    });
    origin = `http://127.0.0.1:${worker.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${stack.adminToken}` } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("renders the base URL and instructions, creates a connection and shows its key once", async () => {
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    const response = await page.goto(`${origin}/admin/setup/umbrella`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent("#scim-base-url")).toContain(`${origin}/api/scim`);
    expect(await page.isVisible("#okta")).toBe(true);
    expect(await page.isVisible("#entra")).toBe(true);
    expect(await page.locator("#scim-api-key").count()).toBe(0);

    await page.click("#create-connection button[type=submit]");
    await page.waitForSelector("#scim-api-key");
    const key = (await page.textContent("#scim-api-key"))?.trim() ?? "";
    expect(key).toMatch(/^scim_[0-9a-f]+$/);

    // The key works: the IdP-facing SCIM endpoint accepts it.
    const scim = await fetch(`${origin}/api/scim/Users`, { headers: { authorization: `Bearer ${key}` } });
    expect(scim.status).toBe(200);

    await page.click('button[data-copy="scim-api-key"]');
    // A string expression: the test tsconfig has no DOM lib.
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(key);

    const screenshot = await page.screenshot({ fullPage: true });
    expect(screenshot.byteLength).toBeGreaterThan(10_000);
    // A rendered page, not a blank one: the PNG must hold many distinct bytes.
    expect(new Set(screenshot.subarray(0, 4096)).size).toBeGreaterThan(100);
    // Kept for a person to look at (CI artefact; ignored by git).
    await mkdir("test-results", { recursive: true });
    await writeFile("test-results/setup-page.png", screenshot);

    await page.goto(`${origin}/admin/setup/umbrella`);
    expect(await page.locator("#scim-api-key").count()).toBe(0);
    expect(await page.isVisible("#rotate-key")).toBe(true);
    expect(consoleErrors).toEqual([]);
  });

  it("rotates the key after confirmation: the old key stops working, the new one works", async () => {
    await page.goto(`${origin}/admin/setup/umbrella2`);
    await page.click("#create-connection button[type=submit]");
    await page.waitForSelector("#scim-api-key");
    const oldKey = (await page.textContent("#scim-api-key"))?.trim() ?? "";
    await page.goto(`${origin}/admin/setup/umbrella2`);

    page.once("dialog", (dialog) => void dialog.accept());
    await page.click("#rotate-key button[type=submit]");
    await page.waitForSelector("#scim-api-key");
    const newKey = (await page.textContent("#scim-api-key"))?.trim() ?? "";
    expect(newKey).not.toBe(oldKey);
    expect((await fetch(`${origin}/api/scim/Users`, { headers: { authorization: `Bearer ${oldKey}` } })).status).toBe(401);
    expect((await fetch(`${origin}/api/scim/Users`, { headers: { authorization: `Bearer ${newKey}` } })).status).toBe(200);
  });

  it("refuses the page without the admin token", async () => {
    const response = await fetch(`${origin}/admin/setup/umbrella`);
    expect(response.status).toBe(401);
  });
});
