/**
 * One closed-loop load round with autocannon: `connections` keep-alive connections, each sending
 * its next request as soon as the previous answer arrives, for `durationSeconds`. autocannon's
 * own histogram has 1 ms resolution, so every response time is also taken from its `response`
 * event (float milliseconds from process.hrtime) and the percentiles are computed from those.
 */
import autocannon from "autocannon";
import { percentile } from "./stats.ts";

export interface LoadRequest {
  readonly url: string;
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly connections: number;
  readonly durationSeconds: number;
}

export interface LoadResult {
  /** Responses with a 2xx status. */
  readonly ok: number;
  /** Responses with any other status. */
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

export async function runLoad(request: LoadRequest): Promise<LoadResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  const started = performance.now();
  // Without a callback autocannon returns its EventEmitter made thenable (lib/init.js).
  const instance = autocannon({
    url: request.url,
    method: request.method,
    headers: { ...request.headers },
    ...(request.body !== undefined ? { body: request.body } : {}),
    connections: request.connections,
    pipelining: 1,
    duration: request.durationSeconds,
    timeout: 10,
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    else non2xx += 1;
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  const mean = latencies.reduce((sum, v) => sum + v, 0) / Math.max(1, latencies.length);
  return {
    ok: latencies.length,
    non2xx,
    errors: result.errors + result.timeouts,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p90Ms: percentile(latencies, 0.9),
    p99Ms: percentile(latencies, 0.99),
    meanMs: mean,
  };
}
