/**
 * CLI for the BYO sidecar stand-in (dev and benchmarks only, never production):
 *
 *   BYO_INTEGRATION_KEY=dev-key npx tsx dev/sidecar-standin/main.ts
 *
 * Environment: BYO_INTEGRATION_KEY (required), SIDECAR_STANDIN_PORT (default 2884, the real
 * sidecar's API port), SIDECAR_STANDIN_HOST (default 127.0.0.1), SIDECAR_STANDIN_LOG_REQUESTS
 * ("1" or "true" to log each request). Stops cleanly on SIGINT/SIGTERM.
 */
import { startSidecarStandin } from "./index.ts";

/** The real sidecar's API port (byo-contract §7). */
const DEFAULT_PORT = 2884;

async function main(): Promise<void> {
  const integrationKey = process.env["BYO_INTEGRATION_KEY"];
  if (!integrationKey) {
    console.error("sidecar stand-in: set BYO_INTEGRATION_KEY to the integration key clients will send.");
    process.exitCode = 1;
    return;
  }
  const portText = process.env["SIDECAR_STANDIN_PORT"];
  const port = portText === undefined || portText === "" ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`sidecar stand-in: SIDECAR_STANDIN_PORT must be a port number, got ${JSON.stringify(portText)}.`);
    process.exitCode = 1;
    return;
  }
  const host = process.env["SIDECAR_STANDIN_HOST"] || "127.0.0.1";
  const logRequests = ["1", "true"].includes((process.env["SIDECAR_STANDIN_LOG_REQUESTS"] ?? "").toLowerCase());

  const standin = await startSidecarStandin({ host, port, integrationKey, logRequests });
  console.log(`BYO sidecar stand-in (dev/test only) listening on ${standin.url}`);

  const stop = (signal: NodeJS.Signals): void => {
    console.log(`sidecar stand-in: ${signal} received, stopping.`);
    standin.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        console.error("sidecar stand-in: error while stopping:", error);
        process.exitCode = 1;
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error("sidecar stand-in failed to start:", error);
  process.exitCode = 1;
});
