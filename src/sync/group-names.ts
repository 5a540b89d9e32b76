/**
 * SCIM group -> Cognito group name, and which Cognito groups sync may touch.
 *
 * Template: `<GROUP_PREFIX><displayName>` in a pool dedicated to one customer, and
 * `<GROUP_PREFIX><customerId>:<displayName>` in a shared pool, so that one customer's groups can
 * never hold, lose or delete another customer's users. The display name is sanitized to
 * Cognito's rules (1–128 characters of `[\p{L}\p{M}\p{S}\p{N}\p{P}]`, no whitespace): whitespace
 * runs become `-`, other characters outside the class are dropped, the result is cut to 128.
 * In the customer id, `%`, `:` and anything outside the class are percent-encoded so the first
 * `:` after the prefix always ends it (no two customers can share a scope).
 */

/** Cognito's GroupName length limit. */
export const MAX_GROUP_NAME_LENGTH = 128;

const ALLOWED = /[\p{L}\p{M}\p{S}\p{N}\p{P}]/u;
const WHITESPACE_RUN = /\s+/gu;

export interface GroupScope {
  /** Every Cognito group sync manages for this customer starts with this. */
  readonly managedPrefix: string;
}

export function groupScope(prefix: string, customerId: string, sharedPool: boolean): GroupScope {
  return { managedPrefix: sharedPool ? `${prefix}${encodeScope(customerId)}:` : prefix };
}

export const isManaged = (scope: GroupScope, groupName: string): boolean => groupName.startsWith(scope.managedPrefix);

/** The Cognito group for a SCIM group, or null when nothing usable remains of the name. */
export function cognitoGroupName(scope: GroupScope, displayName: string): string | null {
  const room = MAX_GROUP_NAME_LENGTH - Array.from(scope.managedPrefix).length;
  const cleaned = Array.from(displayName.normalize("NFC").trim().replace(WHITESPACE_RUN, "-"))
    .filter((c) => ALLOWED.test(c))
    .slice(0, Math.max(room, 0))
    .join("");
  return room <= 0 || cleaned === "" ? null : scope.managedPrefix + cleaned;
}

/**
 * The Cognito group's description names the SCIM group and connection it stands for; a SCIM
 * group deletion deletes exactly the groups whose description matches.
 */
export const groupDescription = (connectionId: string, groupId: string): string => `SCIM group ${groupId} of connection ${connectionId}`;

function encodeScope(customerId: string): string {
  return Array.from(customerId)
    .map((c) => (c === "%" || c === ":" || !ALLOWED.test(c) ? percentEncode(c) : c))
    .join("");
}

function percentEncode(character: string): string {
  return [...new TextEncoder().encode(character)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}
