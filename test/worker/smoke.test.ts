import { env, exports } from "cloudflare:workers";
import { it, expect } from "vitest";
it("runs in workerd", async () => {
  const res = await exports.default.fetch("https://x/");
  expect(await res.text()).toBe("ok");
  await env.POOLS.put("a", "b");
  expect(await env.POOLS.get("a")).toBe("b");
});
