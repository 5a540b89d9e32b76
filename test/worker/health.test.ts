import { describe, expect, it } from "vitest";
import { createHarness, INTEGRATION_KEY } from "./support/harness";

describe("GET /healthz", () => {
  it("is 200 when the config is valid and the sidecar answers Ping", async () => {
    const h = createHarness();
    const response = await h.request("https://scim.example.com/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", config: "valid", sidecar: "reachable" });
    expect(h.sidecar.commands().map((c) => c.command)).toEqual(["Ping"]);
  });

  it("is 503 when the sidecar is down", async () => {
    const h = createHarness();
    h.sidecar.once("Ping", "network-error");
    const response = await h.request("https://scim.example.com/healthz");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "unhealthy", config: "valid", sidecar: "unreachable" });
  });

  it("is 503 without revealing which setting is wrong or any value", async () => {
    const h = createHarness({ vars: { AWS_REGION: undefined } });
    const response = await h.request("https://scim.example.com/healthz");
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: "unhealthy", config: "invalid", sidecar: "unknown" });
    expect(text).not.toContain("AWS_REGION");
    expect(text).not.toContain(INTEGRATION_KEY);
    expect(h.sidecar.calls).toEqual([]);
  });
});
