/**
 * Request-rate quotas and fault injection for the Cognito emulator.
 *
 * Quotas follow Cognito's per-category model (platform-notes A3): one token bucket per category,
 * shared by all pools, refilled at the configured rate with a burst of one second's worth, so a
 * limit of 5/s lets 5 immediate calls through and throttles the 6th. Faults are consumed in the
 * order they were injected: each matching call uses up one count of the oldest live rule.
 */

export type CognitoQuotaCategory =
  | "UserCreation"
  | "UserRead"
  | "UserUpdate"
  | "UserResourceUpdate"
  | "UserResourceRead"
  | "UserList"
  | "UserPoolRead"
  | "UserPoolUpdate"
  | "UserPoolResourceUpdate"
  | "UserPoolResourceRead"
  | "Other";

export const QUOTA_CATEGORIES: readonly CognitoQuotaCategory[] = [
  "UserCreation",
  "UserRead",
  "UserUpdate",
  "UserResourceUpdate",
  "UserResourceRead",
  "UserList",
  "UserPoolRead",
  "UserPoolUpdate",
  "UserPoolResourceUpdate",
  "UserPoolResourceRead",
  "Other",
];

/** Requests per second per category; a missing category is unlimited, 0 throttles every call. */
export type ThrottleLimits = Partial<Record<CognitoQuotaCategory, number>>;

const CATEGORY_BY_OPERATION: Readonly<Record<string, CognitoQuotaCategory>> = {
  AdminCreateUser: "UserCreation",
  SignUp: "UserCreation",
  ConfirmSignUp: "UserCreation",
  AdminConfirmSignUp: "UserCreation",
  AdminGetUser: "UserRead",
  AdminUpdateUserAttributes: "UserUpdate",
  AdminDeleteUserAttributes: "UserUpdate",
  AdminDisableUser: "UserUpdate",
  AdminEnableUser: "UserUpdate",
  AdminDeleteUser: "UserUpdate",
  AdminUserGlobalSignOut: "UserUpdate",
  AdminLinkProviderForUser: "UserUpdate",
  AdminDisableProviderForUser: "UserUpdate",
  AdminSetUserPassword: "UserUpdate",
  AdminAddUserToGroup: "UserResourceUpdate",
  AdminRemoveUserFromGroup: "UserResourceUpdate",
  AdminListGroupsForUser: "UserResourceRead",
  ListUsers: "UserList",
  ListUsersInGroup: "UserList",
  DescribeUserPool: "UserPoolRead",
  ListUserPools: "UserPoolRead",
  CreateUserPool: "UserPoolUpdate",
  UpdateUserPool: "UserPoolUpdate",
  DeleteUserPool: "UserPoolUpdate",
  AddCustomAttributes: "UserPoolUpdate",
  TagResource: "UserPoolUpdate",
  UntagResource: "UserPoolUpdate",
  CreateGroup: "UserPoolResourceUpdate",
  DeleteGroup: "UserPoolResourceUpdate",
  UpdateGroup: "UserPoolResourceUpdate",
  GetGroup: "UserPoolResourceRead",
  ListGroups: "UserPoolResourceRead",
  ListTagsForResource: "UserPoolResourceRead",
};

/** The quota category Cognito counts an operation against (`Other` when not listed). */
export function quotaCategoryOf(operation: string): CognitoQuotaCategory {
  return CATEGORY_BY_OPERATION[operation] ?? "Other";
}

/** Validates untrusted limits (e.g. from the HTTP control endpoint). */
export function parseThrottleLimits(input: unknown): { ok: true; value: ThrottleLimits } | { ok: false; message: string } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, message: "throttle limits must be a JSON object of category → requests/second" };
  }
  const value: ThrottleLimits = {};
  for (const [key, rate] of Object.entries(input)) {
    if (!(QUOTA_CATEGORIES as readonly string[]).includes(key)) {
      return { ok: false, message: `unknown quota category '${key}' (known: ${QUOTA_CATEGORIES.join(", ")})` };
    }
    if (rate === null) continue;
    if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0) {
      return { ok: false, message: `limit for '${key}' must be a finite number ≥ 0` };
    }
    value[key as CognitoQuotaCategory] = rate;
  }
  return { ok: true, value };
}

interface Bucket {
  rate: number;
  capacity: number;
  tokens: number;
  updatedMs: number;
}

/** One token bucket per limited category. */
export class CategoryThrottle {
  private buckets = new Map<CognitoQuotaCategory, Bucket>();
  private current: ThrottleLimits = {};

  constructor(private readonly nowMs: () => number = () => performance.now()) {}

  /** Replaces all limits; buckets start full. */
  set(limits: ThrottleLimits): void {
    const parsed = parseThrottleLimits(limits);
    if (!parsed.ok) throw new TypeError(parsed.message);
    this.current = { ...parsed.value };
    this.buckets = new Map();
    const now = this.nowMs();
    for (const [category, rate] of Object.entries(parsed.value) as [CognitoQuotaCategory, number][]) {
      const capacity = rate === 0 ? 0 : Math.max(1, rate);
      this.buckets.set(category, { rate, capacity, tokens: capacity, updatedMs: now });
    }
  }

  limits(): ThrottleLimits {
    return { ...this.current };
  }

  /** Takes one token for the category; false means the call is throttled. */
  tryTake(category: CognitoQuotaCategory): boolean {
    const bucket = this.buckets.get(category);
    if (bucket === undefined) return true;
    const now = this.nowMs();
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + ((now - bucket.updatedMs) / 1000) * bucket.rate);
    bucket.updatedMs = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Makes the next `count` calls of `operation` fail with the given AWS error. */
export interface FaultRule {
  /** Operation name, e.g. "AdminDisableUser"; "*" matches every operation. */
  operation: string;
  /** AWS error name, e.g. "InternalErrorException" or "TooManyRequestsException". */
  errorType: string;
  /** HTTP status to answer with (Cognito uses 400 for client errors, 500 for InternalError). */
  status: number;
  /** How many upcoming matching calls fail. */
  count: number;
  /** Error message; a generic one per error type when absent. */
  message?: string;
}

export function parseFaultRule(input: unknown): { ok: true; value: FaultRule } | { ok: false; message: string } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, message: "fault rule must be a JSON object" };
  }
  const r = input as Record<string, unknown>;
  if (typeof r["operation"] !== "string" || r["operation"] === "") return { ok: false, message: "operation must be a non-empty string" };
  if (typeof r["errorType"] !== "string" || r["errorType"] === "") return { ok: false, message: "errorType must be a non-empty string" };
  const status = r["status"];
  if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) {
    return { ok: false, message: "status must be an integer HTTP error status (400–599)" };
  }
  const count = r["count"];
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1) {
    return { ok: false, message: "count must be a positive integer" };
  }
  const message = r["message"];
  if (message !== undefined && typeof message !== "string") return { ok: false, message: "message must be a string" };
  const rule: FaultRule = { operation: r["operation"], errorType: r["errorType"], status, count };
  if (message !== undefined) rule.message = message;
  return { ok: true, value: rule };
}

const DEFAULT_FAULT_MESSAGES: Readonly<Record<string, string>> = {
  TooManyRequestsException: "Rate exceeded",
  InternalErrorException: "An internal error occurred.",
  LimitExceededException: "Limit exceeded",
};

export class FaultQueue {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    const parsed = parseFaultRule(rule);
    if (!parsed.ok) throw new TypeError(parsed.message);
    this.rules.push({ ...parsed.value });
  }

  clear(): void {
    this.rules = [];
  }

  /** Remaining rules (copies). */
  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** Consumes one count of the oldest rule matching the operation. */
  take(operation: string): { errorType: string; status: number; message: string } | undefined {
    const index = this.rules.findIndex((rule) => rule.operation === operation || rule.operation === "*");
    const rule = this.rules[index];
    if (rule === undefined) return undefined;
    rule.count -= 1;
    if (rule.count <= 0) this.rules.splice(index, 1);
    return {
      errorType: rule.errorType,
      status: rule.status,
      message: rule.message ?? DEFAULT_FAULT_MESSAGES[rule.errorType] ?? `Injected ${rule.errorType}`,
    };
  }
}
