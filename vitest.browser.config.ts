import { defineConfig } from "vitest/config";

// The browser test needs Debian's Chromium (`apt-get install chromium`); CI installs it.
export default defineConfig({
  test: { name: "browser", environment: "node", include: ["test/browser/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 120_000 },
});
