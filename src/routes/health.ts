/** `GET /healthz`: is the config valid and does the sidecar answer Ping. Reveals no settings. */
import type { SidecarClient } from "../sidecar/sidecar-client";

export async function healthResponse(configValid: boolean, sidecar: SidecarClient | undefined): Promise<Response> {
  let sidecarState: "reachable" | "unreachable" | "unknown" = "unknown";
  if (sidecar) sidecarState = (await sidecar.ping()).ok ? "reachable" : "unreachable";
  const healthy = configValid && sidecarState === "reachable";
  return Response.json(
    { status: healthy ? "ok" : "unhealthy", config: configValid ? "valid" : "invalid", sidecar: sidecarState },
    { status: healthy ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
