/**
 * Runs in Node once per test run: starts the sidecar stand-in and the Cognito emulator on loopback,
 * seeds pools and connections, and hands their addresses to the worker's bindings.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalStack } from "../../dev/local-stack/bootstrap.ts";
import type { E2eStack } from "./support/stack-info.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startLocalStack({ dataDir: join(tmpdir(), `cognito-scim-edge-e2e-${process.pid}`) });
  const info: E2eStack = {
    sidecarUrl: stack.sidecarUrl,
    cognitoUrl: stack.cognitoUrl,
    integrationKey: stack.integrationKey,
    credentials: { ...stack.credentials },
    pools: { ...stack.pools },
    customers: stack.customers.map((c) => ({ ...c })),
    workerVars: stack.workerVars(),
  };
  project.provide("e2eStack", info);
  return () => stack.close();
}
