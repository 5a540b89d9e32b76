// Control for the overhead benchmark (bench/parts/overhead.ts): the smallest possible "SCIM
// ingress" on workerd — one sidecar round trip, no validation, no config, no logging. Its twin
// in Node is proxy-node.ts; comparing the two separates the runtimes from the worker's code.
export default {
  async fetch(request, env) {
    const answer = await fetch(`${env.BYO_URL}/run-command`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.BYO_INTEGRATION_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ command: "ScimRequest", data: { method: request.method, pathAndQueryParams: "/Users/x", scimApiKey: "control" } }),
    });
    const data = await answer.json();
    return new Response(JSON.stringify(data.responseData), { headers: { "content-type": "application/scim+json" } });
  },
};
