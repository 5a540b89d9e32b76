/**
 * Control for the overhead benchmark: proxy.worker.js's twin on Node.js (node:http + global
 * fetch) — one sidecar round trip, nothing else. Prints `{"url": ...}` once listening on loopback.
 */
import { createServer } from "node:http";
import { serveAsChild } from "../lib/serve-as-child.ts";

const sidecarUrl = process.env["BYO_URL"];
const integrationKey = process.env["BYO_INTEGRATION_KEY"];
if (!sidecarUrl || !integrationKey) throw new Error("BYO_URL and BYO_INTEGRATION_KEY are required");

const server = createServer((req, res) => {
  req.resume();
  void (async () => {
    const answer = await fetch(`${sidecarUrl}/run-command`, {
      method: "POST",
      headers: { authorization: `Bearer ${integrationKey}`, "content-type": "application/json" },
      body: JSON.stringify({ command: "ScimRequest", data: { method: req.method, pathAndQueryParams: "/Users/x", scimApiKey: "control" } }),
    });
    const data = (await answer.json()) as { responseData?: unknown };
    const body = JSON.stringify(data.responseData);
    res.writeHead(200, { "content-type": "application/scim+json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  })().catch(() => {
    res.writeHead(502);
    res.end();
  });
});
serveAsChild(server, 0);
