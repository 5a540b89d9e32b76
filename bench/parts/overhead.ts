/**
 * Part 1, overhead: the worker (deployable bundle in workerd) against the conventional Node.js
 * reference server, both talking to the same upstream stubs (a separate process answering every
 * call after a fixed delay). For each path, closed-loop autocannon rounds at fixed concurrency,
 * alternating the target order every round. Per round: requests/s, p50/p99 latency and the
 * latency added over the bare upstream delay (delay × upstream round trips on that path), the
 * upstream calls each request made (from the stubs' counters) and the target process's CPU time
 * per request (from /proc). Ratios worker/reference are taken per round, then summarised as
 * median (min–max).
 */
import { join } from "node:path";
import { processCpuMs, startChild, type StartedChild } from "../lib/children.ts";
import { runLoad, type LoadResult } from "../lib/load.ts";
import { spread, type Spread } from "../lib/stats.ts";
import { startBundleInWorkerd, type RunningWorkerd } from "../lib/workerd.ts";
import { STUB_CUSTOMER_ID, STUB_SCIM_API_KEY, STUB_USER_POOL_ID, type StubStats } from "../upstream-stubs.ts";

export interface OverheadOptions {
  readonly root: string;
  /** The worker bundle to run (the aws4fetch build). */
  readonly scriptPath: string;
  readonly delayMs: number;
  readonly connections: number;
  readonly rounds: number;
  readonly roundSeconds: number;
  readonly warmupSeconds: number;
  /** Also time the runtime control: a minimal one-round-trip proxy on workerd and on Node. */
  readonly control: boolean;
  readonly log: (line: string) => void;
}

export type TargetName = "worker" | "reference";

export interface RoundResult {
  readonly target: TargetName;
  readonly round: number;
  readonly load: LoadResult;
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
  readonly upstreamCallsPerRequest: { readonly sidecar: number; readonly cognito: number };
  /** New TCP connections the stubs accepted during the round (connection reuse check). */
  readonly upstreamConnectionsOpened: number;
  /** Target process CPU ms per request (utime+stime from /proc; 10 ms tick resolution over the round). */
  readonly cpuMsPerRequest: number | undefined;
  /** The same for the benchmark's own process (autocannon, and Miniflare's Node side) and for the stubs. */
  readonly loadGeneratorCpuMsPerRequest: number;
  readonly stubsCpuMsPerRequest: number | undefined;
}

export interface PathResult {
  readonly path: "Completed" | "DisableUser";
  readonly request: string;
  readonly upstreamRoundTrips: number;
  readonly bareMs: number;
  readonly rounds: readonly RoundResult[];
  readonly perTarget: Record<
    TargetName,
    { rps: Spread; p50: Spread; p99: Spread; addedP50: Spread; addedP99: Spread; cpuMsPerRequest: Spread; loadGeneratorCpuMsPerRequest: Spread; stubsCpuMsPerRequest: Spread }
  >;
  /** worker ÷ reference, per round. */
  readonly ratios: { rps: Spread; addedP50: Spread; addedP99: Spread; p50: Spread; p99: Spread };
  /** One connection, no queueing anywhere: the per-request cost alone (one round per target). */
  readonly unloaded: Record<TargetName, { p50Ms: number; p99Ms: number; addedP50Ms: number; requests: number }>;
}

export interface OverheadResult {
  readonly delayMs: number;
  readonly connections: number;
  readonly rounds: number;
  readonly roundSeconds: number;
  /** A direct call to the sidecar stub, same concurrency: what one "bare" round trip really costs. */
  readonly directRoundTrip: { p50Ms: number; p99Ms: number };
  readonly paths: readonly PathResult[];
  readonly control: ControlResult | null;
  readonly budgets: { p50Met: boolean; p99Met: boolean; detail: string };
}

/** The same 10-line proxy (one sidecar round trip) on each runtime, same load and rounds. */
export interface ControlResult {
  readonly bareMs: number;
  readonly perTarget: Record<"workerd" | "node", { p50: Spread; p99: Spread; addedP50: Spread; addedP99: Spread; rps: Spread; cpuMsPerRequest: Spread }>;
  /** workerd ÷ node, per round. */
  readonly ratios: { addedP50: Spread; addedP99: Spread };
}

const INTEGRATION_KEY = "bench-integration-key";
const PATCH_BODY = JSON.stringify({
  schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  Operations: [{ op: "replace", path: "active", value: false }],
});

interface PathSpec {
  readonly path: PathResult["path"];
  readonly method: "GET" | "PATCH";
  readonly upstreamRoundTrips: number;
  readonly body?: string;
}

const PATHS: readonly PathSpec[] = [
  { path: "Completed", method: "GET", upstreamRoundTrips: 1 },
  // ScimRequest, AdminDisableUser, AdminUserGlobalSignOut, CommitScimUserChange.
  { path: "DisableUser", method: "PATCH", upstreamRoundTrips: 4, body: PATCH_BODY },
];

export async function measureOverhead(options: OverheadOptions): Promise<OverheadResult> {
  const tsxImport = ["--import", "tsx"];
  const stubs: StartedChild<{ sidecarUrl: string; cognitoUrl: string }> = await startChild(
    process.execPath,
    [...tsxImport, join(options.root, "bench", "upstream-stubs.ts"), "--delay", String(options.delayMs), "--integration-key", INTEGRATION_KEY],
    { cwd: options.root, timeoutMs: 30_000 },
  );
  let worker: RunningWorkerd | undefined;
  let reference: StartedChild<{ url: string }> | undefined;
  try {
    const { sidecarUrl, cognitoUrl } = stubs.ready;
    const stubStats = async (): Promise<StubStats> => (await (await fetch(`${sidecarUrl}/__stubs/stats`)).json()) as StubStats;
    const resetStubStats = async (): Promise<void> => {
      await (await fetch(`${sidecarUrl}/__stubs/stats/reset`, { method: "POST" })).arrayBuffer();
    };

    options.log("overhead: starting the worker in workerd and the reference server");
    worker = await startBundleInWorkerd({
      root: options.root,
      worker: { scriptPath: options.scriptPath },
      vars: {
        BYO_URL: sidecarUrl,
        BYO_INTEGRATION_KEY: INTEGRATION_KEY,
        AWS_ACCESS_KEY_ID: "AKIABENCHOVERHEAD000",
        AWS_SECRET_ACCESS_KEY: "bench-overhead-secret",
        AWS_REGION: "local",
        COGNITO_ENDPOINT: cognitoUrl,
      },
      kv: { [`customer:${STUB_CUSTOMER_ID}`]: JSON.stringify({ userPoolId: STUB_USER_POOL_ID, shared: false }) },
    });
    reference = await startChild<{ url: string }>(process.execPath, [...tsxImport, join(options.root, "bench", "reference-server", "server.ts")], {
      cwd: options.root,
      timeoutMs: 30_000,
      env: {
        ...process.env,
        BYO_URL: sidecarUrl,
        BYO_INTEGRATION_KEY: INTEGRATION_KEY,
        AWS_ACCESS_KEY_ID: "AKIABENCHOVERHEAD000",
        AWS_SECRET_ACCESS_KEY: "bench-overhead-secret",
        AWS_REGION: "local",
        COGNITO_ENDPOINT: cognitoUrl,
        USER_POOL_ID: STUB_USER_POOL_ID,
      },
    });
    const targets: Record<TargetName, { base: string; pid: number | undefined }> = {
      worker: { base: worker.url, pid: worker.pid },
      reference: { base: reference.ready.url, pid: reference.child.pid },
    };

    options.log("overhead: direct round trip to the sidecar stub");
    const direct = await runLoad({
      url: `${sidecarUrl}/run-command`,
      method: "POST",
      headers: { authorization: `Bearer ${INTEGRATION_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ command: "Ping", data: {} }),
      connections: options.connections,
      durationSeconds: Math.max(2, options.warmupSeconds),
    });

    const paths: PathResult[] = [];
    for (const spec of PATHS) {
      const bareMs = spec.upstreamRoundTrips * options.delayMs;
      const loadFor = (target: TargetName, seconds: number, connections = options.connections) =>
        runLoad({
          url: `${targets[target].base}/api/scim/Users/5f0c3f5e-7d0b-4c57-9a55-2a3b8e2c1d00`,
          method: spec.method,
          headers: { authorization: `Bearer ${STUB_SCIM_API_KEY}`, "content-type": "application/scim+json" },
          ...(spec.body !== undefined ? { body: spec.body } : {}),
          connections,
          durationSeconds: seconds,
        });

      for (const target of ["worker", "reference"] as const) {
        const warm = await loadFor(target, options.warmupSeconds);
        if (warm.ok === 0) throw new Error(`${target} answered no 2xx on the ${spec.path} path during warm-up (${warm.non2xx} non-2xx, ${warm.errors} errors)`);
      }
      const unloaded = {} as PathResult["unloaded"];
      for (const target of ["worker", "reference"] as const) {
        const single = await loadFor(target, Math.max(2, options.warmupSeconds + 1), 1);
        unloaded[target] = { p50Ms: single.p50Ms, p99Ms: single.p99Ms, addedP50Ms: single.p50Ms - bareMs, requests: single.ok };
        options.log(`overhead: ${spec.path} unloaded (1 connection) ${target.padEnd(9)} p50 ${single.p50Ms.toFixed(2)} ms  p99 ${single.p99Ms.toFixed(2)} ms`);
      }

      const rounds: RoundResult[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        const order: TargetName[] = round % 2 === 1 ? ["worker", "reference"] : ["reference", "worker"];
        for (const target of order) {
          await resetStubStats();
          const pid = targets[target].pid;
          const cpuBefore = pid !== undefined ? await processCpuMs(pid) : undefined;
          const stubsBefore = stubs.child.pid !== undefined ? await processCpuMs(stubs.child.pid) : undefined;
          const ownBefore = process.cpuUsage();
          const load = await loadFor(target, options.roundSeconds);
          const own = process.cpuUsage(ownBefore);
          const cpuAfter = pid !== undefined ? await processCpuMs(pid) : undefined;
          const stubsAfter = stubs.child.pid !== undefined ? await processCpuMs(stubs.child.pid) : undefined;
          const stats = await stubStats();
          const answered = load.ok + load.non2xx;
          const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
          rounds.push({
            target,
            round,
            load,
            addedP50Ms: load.p50Ms - bareMs,
            addedP99Ms: load.p99Ms - bareMs,
            upstreamCallsPerRequest: { sidecar: sum(stats.sidecar) / Math.max(1, answered), cognito: sum(stats.cognito) / Math.max(1, answered) },
            upstreamConnectionsOpened: stats.connections.sidecar + stats.connections.cognito,
            cpuMsPerRequest: cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / Math.max(1, answered) : undefined,
            loadGeneratorCpuMsPerRequest: (own.user + own.system) / 1000 / Math.max(1, answered),
            stubsCpuMsPerRequest: stubsBefore !== undefined && stubsAfter !== undefined ? (stubsAfter - stubsBefore) / Math.max(1, answered) : undefined,
          });
          options.log(
            `overhead: ${spec.path} round ${round} ${target.padEnd(9)} ${load.requestsPerSecond.toFixed(0)} req/s  p50 ${load.p50Ms.toFixed(2)} ms  p99 ${load.p99Ms.toFixed(2)} ms  non-2xx ${load.non2xx}  errors ${load.errors}`,
          );
        }
      }
      paths.push(summarisePath(spec, bareMs, rounds, unloaded));
    }

    const control = options.control ? await measureControl(options, sidecarUrl) : null;
    const budgets = judge(paths);
    return {
      delayMs: options.delayMs,
      connections: options.connections,
      rounds: options.rounds,
      roundSeconds: options.roundSeconds,
      directRoundTrip: { p50Ms: direct.p50Ms, p99Ms: direct.p99Ms },
      paths,
      control,
      budgets,
    };
  } finally {
    await Promise.allSettled([worker?.dispose(), reference?.stop(), stubs.stop()]);
  }
}

async function measureControl(options: OverheadOptions, sidecarUrl: string): Promise<ControlResult> {
  options.log("overhead: control — the same minimal proxy on workerd and on Node");
  const vars = { BYO_URL: sidecarUrl, BYO_INTEGRATION_KEY: INTEGRATION_KEY };
  const workerd = await startBundleInWorkerd({ root: options.root, worker: { scriptPath: join(options.root, "bench", "control", "proxy.worker.js") }, wranglerConfig: false, vars });
  let node: StartedChild<{ url: string }> | undefined;
  try {
    node = await startChild<{ url: string }>(process.execPath, ["--import", "tsx", join(options.root, "bench", "control", "proxy-node.ts")], {
      cwd: options.root,
      timeoutMs: 30_000,
      env: { ...process.env, ...vars },
    });
    const targets = { workerd: { base: workerd.url, pid: workerd.pid }, node: { base: node.ready.url, pid: node.child.pid } };
    const loadFor = (target: "workerd" | "node", seconds: number) =>
      runLoad({ url: `${targets[target].base}/Users/x`, method: "GET", headers: {}, connections: options.connections, durationSeconds: seconds });
    for (const target of ["workerd", "node"] as const) await loadFor(target, options.warmupSeconds);
    const rounds: { target: "workerd" | "node"; round: number; load: LoadResult; cpuMsPerRequest: number }[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? (["workerd", "node"] as const) : (["node", "workerd"] as const);
      for (const target of order) {
        const pid = targets[target].pid;
        const before = pid !== undefined ? await processCpuMs(pid) : undefined;
        const load = await loadFor(target, options.roundSeconds);
        const after = pid !== undefined ? await processCpuMs(pid) : undefined;
        const cpuMsPerRequest = before !== undefined && after !== undefined ? (after - before) / Math.max(1, load.ok + load.non2xx) : Number.NaN;
        rounds.push({ target, round, load, cpuMsPerRequest });
        options.log(`overhead: control round ${round} ${target.padEnd(7)} ${load.requestsPerSecond.toFixed(0)} req/s  p50 ${load.p50Ms.toFixed(2)} ms  p99 ${load.p99Ms.toFixed(2)} ms`);
      }
    }
    const bareMs = options.delayMs;
    const of = (target: "workerd" | "node") => {
      const rs = rounds.filter((r) => r.target === target);
      return {
        p50: spread(rs.map((r) => r.load.p50Ms)),
        p99: spread(rs.map((r) => r.load.p99Ms)),
        addedP50: spread(rs.map((r) => r.load.p50Ms - bareMs)),
        addedP99: spread(rs.map((r) => r.load.p99Ms - bareMs)),
        rps: spread(rs.map((r) => r.load.requestsPerSecond)),
        cpuMsPerRequest: spread(rs.map((r) => r.cpuMsPerRequest)),
      };
    };
    const ratio = (pick: (l: LoadResult) => number): Spread => {
      const values: number[] = [];
      for (const w of rounds.filter((r) => r.target === "workerd")) {
        const n = rounds.find((r) => r.target === "node" && r.round === w.round);
        if (n) values.push(pick(w.load) / pick(n.load));
      }
      return spread(values);
    };
    return {
      bareMs,
      perTarget: { workerd: of("workerd"), node: of("node") },
      ratios: { addedP50: ratio((l) => l.p50Ms - bareMs), addedP99: ratio((l) => l.p99Ms - bareMs) },
    };
  } finally {
    await Promise.allSettled([workerd.dispose(), node?.stop()]);
  }
}

function summarisePath(spec: PathSpec, bareMs: number, rounds: RoundResult[], unloaded: PathResult["unloaded"]): PathResult {
  const of = (target: TargetName) => rounds.filter((r) => r.target === target);
  const perTargetOf = (target: TargetName) => {
    const rs = of(target);
    return {
      rps: spread(rs.map((r) => r.load.requestsPerSecond)),
      p50: spread(rs.map((r) => r.load.p50Ms)),
      p99: spread(rs.map((r) => r.load.p99Ms)),
      addedP50: spread(rs.map((r) => r.addedP50Ms)),
      addedP99: spread(rs.map((r) => r.addedP99Ms)),
      cpuMsPerRequest: spread(rs.map((r) => r.cpuMsPerRequest ?? Number.NaN)),
      loadGeneratorCpuMsPerRequest: spread(rs.map((r) => r.loadGeneratorCpuMsPerRequest)),
      stubsCpuMsPerRequest: spread(rs.map((r) => r.stubsCpuMsPerRequest ?? Number.NaN)),
    };
  };
  const ratio = (pick: (r: RoundResult) => number): Spread => {
    const values: number[] = [];
    for (const w of of("worker")) {
      const ref = rounds.find((r) => r.target === "reference" && r.round === w.round);
      if (ref) values.push(pick(w) / pick(ref));
    }
    return spread(values);
  };
  return {
    path: spec.path,
    request: `${spec.method} /api/scim/Users/{id}`,
    upstreamRoundTrips: spec.upstreamRoundTrips,
    bareMs,
    rounds,
    perTarget: { worker: perTargetOf("worker"), reference: perTargetOf("reference") },
    ratios: {
      rps: ratio((r) => r.load.requestsPerSecond),
      addedP50: ratio((r) => r.addedP50Ms),
      addedP99: ratio((r) => r.addedP99Ms),
      p50: ratio((r) => r.load.p50Ms),
      p99: ratio((r) => r.load.p99Ms),
    },
    unloaded,
  };
}

/** Budgets: worker added p50 ≤ reference's, added p99 ≤ 1.5× reference's — on every path, by the median ratio. */
function judge(paths: readonly PathResult[]): OverheadResult["budgets"] {
  const p50Met = paths.every((p) => p.ratios.addedP50.median <= 1);
  const p99Met = paths.every((p) => p.ratios.addedP99.median <= 1.5);
  const detail = paths
    .map((p) => `${p.path}: added p50 ratio ${p.ratios.addedP50.median.toFixed(2)} (≤ 1.00), added p99 ratio ${p.ratios.addedP99.median.toFixed(2)} (≤ 1.50)`)
    .join("; ");
  return { p50Met, p99Met, detail };
}
