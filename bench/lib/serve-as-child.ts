/**
 * How the benchmark's Node servers run as child processes: listen on loopback, print their URL as
 * one JSON line for the parent, and stop when signalled or when the parent closes stdin.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export function serveAsChild(server: Server, port = 0): void {
  // Keep connections from the load generator open across requests, as a production server would.
  server.keepAliveTimeout = 60_000;
  server.listen(port, "127.0.0.1", () => {
    console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
}
