import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import "./test/e2e/support/stack-info.ts";

export default defineConfig({
  test: {
    // The worker logs one JSON line per request; show console output only for failing tests.
    silent: "passed-only",
    projects: [
      {
        // Worker code inside workerd with real local KV; upstreams are in-process fakes.
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: { name: "workers", include: ["test/worker/**/*.test.ts"] },
      },
      {
        // The worker inside workerd talking real HTTP to the sidecar stand-in and the Cognito
        // emulator, which globalSetup starts once per run on loopback.
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: inject("e2eStack").workerVars },
          })),
        ],
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
      {
        // The local stand-ins themselves, in Node.
        test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"] },
      },
    ],
  },
});
