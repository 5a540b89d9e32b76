/** Wall time one SCIM request spent waiting on each upstream, for the request's log line. */
export interface UpstreamTimer {
  sidecarMs: number;
  cognitoMs: number;
}

export const createUpstreamTimer = (): UpstreamTimer => ({ sidecarMs: 0, cognitoMs: 0 });

/** The injectable clock, sleep and randomness (tests make them deterministic). */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;
