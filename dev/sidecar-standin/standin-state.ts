/**
 * The whole in-memory state of one stand-in instance. Nothing is persisted: a restart forgets
 * every connection, which is what tests and `npm run dev` want.
 */
import { createConnectionRegistry, type ConnectionRegistry } from "./connection-registry.ts";
import { createStagedChanges, type StagedChanges } from "./staged-changes.ts";

export interface StandinState {
  readonly registry: ConnectionRegistry;
  readonly staged: StagedChanges;
  /** Current time in milliseconds (injectable for expiry tests). */
  readonly now: () => number;
}

export function createStandinState(options: { readonly stagedChangeTtlMs: number; readonly now: () => number }): StandinState {
  return {
    registry: createConnectionRegistry(),
    staged: createStagedChanges({ ttlMs: options.stagedChangeTtlMs, now: options.now }),
    now: options.now,
  };
}

export function nowSeconds(state: StandinState): number {
  return Math.floor(state.now() / 1000);
}

export function nowIso(state: StandinState): string {
  return new Date(state.now()).toISOString();
}
