/**
 * Secondary indexes over one pool's users (sub, email, phone, preferred_username, lower-cased
 * username), kept beside cognito-local's data store so lookups stop scanning every user.
 *
 * cognito-local resolves a `Username` that is not a stored username by walking all users, and
 * AdminCreateUser does that on every call (to reject duplicates), so a 10,000-user import is
 * quadratic. The index only narrows the search: every candidate is re-read from the store and
 * re-checked, so a stale entry can cost a lookup but never return a wrong user.
 */

export interface IndexedUser {
  Username: string;
  Attributes?: readonly { Name: string; Value?: string }[];
}

export type IndexKind = "username" | "sub" | "email" | "phone_number" | "preferred_username";

const CASE_FOLDED: ReadonlySet<IndexKind> = new Set(["username", "email", "preferred_username"]);

function keyOf(kind: IndexKind, value: string): string {
  return `${kind}\u0000${CASE_FOLDED.has(kind) ? value.toLowerCase() : value}`;
}

export class UserIndex {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly keysByUser = new Map<string, string[]>();

  /** Number of indexed users. */
  get size(): number {
    return this.keysByUser.size;
  }

  put(user: IndexedUser): void {
    this.remove(user.Username);
    const keys = [keyOf("username", user.Username)];
    for (const kind of ["sub", "email", "phone_number", "preferred_username"] as const) {
      const value = user.Attributes?.find((a) => a.Name === kind)?.Value;
      if (value !== undefined && value !== "") keys.push(keyOf(kind, value));
    }
    for (const key of keys) {
      let names = this.byKey.get(key);
      if (names === undefined) {
        names = new Set();
        this.byKey.set(key, names);
      }
      names.add(user.Username);
    }
    this.keysByUser.set(user.Username, keys);
  }

  remove(username: string): void {
    for (const key of this.keysByUser.get(username) ?? []) {
      const names = this.byKey.get(key);
      names?.delete(username);
      if (names?.size === 0) this.byKey.delete(key);
    }
    this.keysByUser.delete(username);
  }

  clear(): void {
    this.byKey.clear();
    this.keysByUser.clear();
  }

  /**
   * Stored usernames that may hold `value` for `kind` (case-folded for username, email and
   * preferred_username). Callers must re-check the user they read.
   */
  candidates(kind: IndexKind, value: string): string[] {
    return [...(this.byKey.get(keyOf(kind, value)) ?? [])];
  }
}

/** The slice of cognito-local's DataStore the index wraps. */
export interface DataStoreLike {
  delete(ctx: unknown, key: string | string[]): Promise<void>;
  get(ctx: unknown, key: string | string[], defaultValue?: unknown): Promise<unknown>;
  getRoot(ctx: unknown): Promise<unknown>;
  set(ctx: unknown, key: string | string[], value: unknown): Promise<void>;
}

function usersKey(key: string | string[]): string | "all" | undefined {
  if (key === "Users") return "all";
  if (Array.isArray(key) && key[0] === "Users") return key.length === 1 ? "all" : key.length === 2 ? key[1] : undefined;
  return undefined;
}

function isIndexedUser(value: unknown): value is IndexedUser {
  return typeof value === "object" && value !== null && typeof (value as IndexedUser).Username === "string";
}

/** A DataStore that forwards to cognito-local's and keeps `userIndex` in step with user writes. */
export class IndexedDataStore implements DataStoreLike {
  readonly userIndex = new UserIndex();

  constructor(private readonly inner: DataStoreLike) {}

  async rebuild(ctx: unknown): Promise<void> {
    this.userIndex.clear();
    const users = await this.inner.get(ctx, "Users", {});
    if (typeof users !== "object" || users === null) return;
    for (const user of Object.values(users)) if (isIndexedUser(user)) this.userIndex.put(user);
  }

  delete = async (ctx: unknown, key: string | string[]): Promise<void> => {
    await this.inner.delete(ctx, key);
    const target = usersKey(key);
    if (target === "all") this.userIndex.clear();
    else if (target !== undefined) this.userIndex.remove(target);
  };

  get = (ctx: unknown, key: string | string[], defaultValue?: unknown): Promise<unknown> => this.inner.get(ctx, key, defaultValue);

  getRoot = (ctx: unknown): Promise<unknown> => this.inner.getRoot(ctx);

  set = async (ctx: unknown, key: string | string[], value: unknown): Promise<void> => {
    await this.inner.set(ctx, key, value);
    const target = usersKey(key);
    if (target === "all") await this.rebuild(ctx);
    else if (target !== undefined && isIndexedUser(value)) this.userIndex.put(value);
  };
}

interface PatchableUserPoolService {
  dataStore?: unknown;
  options: { UsernameAttributes?: string[] };
}
type GetUserByUsername = (this: PatchableUserPoolService, ctx: unknown, username: string) => Promise<IndexedUser | null>;

const PATCHED = Symbol.for("cognito-emulator.indexed-getUserByUsername");

/**
 * Replaces `UserPoolServiceImpl.prototype.getUserByUsername` with an index-backed version that
 * keeps cognito-local's resolution order: stored username, then `sub`, then email / phone when
 * they are UsernameAttributes. Pools whose store has no index use the original.
 */
export function installIndexedLookup(userPoolServiceClass: { prototype: object }): void {
  const proto = userPoolServiceClass.prototype as Record<string | symbol, unknown>;
  if (proto[PATCHED] === true) return;
  const original = proto["getUserByUsername"] as GetUserByUsername;
  const indexed: GetUserByUsername = async function (ctx, username) {
    const store = this.dataStore;
    if (!(store instanceof IndexedDataStore)) return original.call(this, ctx, username);
    const byName = await store.get(ctx, ["Users", username]);
    if (isIndexedUser(byName)) return byName;
    const kinds: ("sub" | "email" | "phone_number")[] = ["sub"];
    if (this.options.UsernameAttributes?.includes("email")) kinds.push("email");
    if (this.options.UsernameAttributes?.includes("phone_number")) kinds.push("phone_number");
    for (const kind of kinds) {
      for (const candidate of store.userIndex.candidates(kind, username)) {
        const user = await store.get(ctx, ["Users", candidate]);
        if (isIndexedUser(user) && user.Attributes?.some((a) => a.Name === kind && a.Value === username)) return user;
      }
    }
    return null;
  };
  proto["getUserByUsername"] = indexed;
  proto[PATCHED] = true;
}
