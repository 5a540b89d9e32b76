/**
 * What a SCIM user looks like in Cognito: the username a pool needs, and the attributes derived
 * from the sidecar's parsed user data.
 */
import type { Config } from "../config";
import type { CognitoAttribute, PoolSignInDesign } from "../cognito/user-directory";

/** Cognito's limit on one attribute value. */
const MAX_ATTRIBUTE_VALUE_LENGTH = 2048;

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const looksLikeEmail = (value: string): boolean => EMAIL_SHAPE.test(value);

export type UsernameChoice = { ok: true; username: string } | { ok: false; reason: "pool needs an email username" };

/**
 * - Email-as-username pools take the email (Cognito stores a UUID = sub as the username).
 * - Pools with an email alias refuse email-shaped usernames, so an email-shaped SCIM userName
 *   becomes a stable derived username; deterministic, so a retried create finds the same user.
 * - Otherwise the SCIM userName is the username.
 */
export async function chooseUsername(
  design: PoolSignInDesign,
  customerId: string,
  userName: string,
  primaryEmail: string | null,
): Promise<UsernameChoice> {
  if (design.usernameAttributes.includes("email")) {
    const email = primaryEmail ?? (looksLikeEmail(userName) ? userName : null);
    return email === null ? { ok: false, reason: "pool needs an email username" } : { ok: true, username: email };
  }
  if (looksLikeEmail(userName) && design.aliasAttributes.includes("email")) {
    return { ok: true, username: await derivedUsername(customerId, userName) };
  }
  return { ok: true, username: userName };
}

async function derivedUsername(customerId: string, userName: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${customerId}\n${userName.toLowerCase()}`));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `scim_${hex.slice(0, 40)}`;
}

/**
 * Attributes the SCIM data asks for: email (verified: the IdP vouches for it) plus the attribute map.
 * The tenant attribute is never taken from IdP data, even if ATTRIBUTE_MAP names it: in a shared
 * pool it is what decides which customer owns a user.
 */
export function desiredAttributes(
  cognito: Config["cognito"],
  primaryEmail: string | null,
  parsedUserData: Readonly<Record<string, unknown>>,
): CognitoAttribute[] {
  const attributes: CognitoAttribute[] = [];
  if (primaryEmail !== null) {
    attributes.push({ Name: "email", Value: primaryEmail }, { Name: "email_verified", Value: "true" });
  }
  for (const [field, attributeName] of Object.entries(cognito.attributeMap)) {
    if (attributeName === cognito.tenantAttribute) continue;
    const value = parsedUserData[field];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      const text = String(value);
      if (text !== "") attributes.push({ Name: attributeName, Value: text.slice(0, MAX_ATTRIBUTE_VALUE_LENGTH) });
    }
  }
  return attributes;
}

/** The subset of `desired` that differs from what Cognito holds. */
export function attributesToChange(desired: readonly CognitoAttribute[], current: Readonly<Record<string, string>>): CognitoAttribute[] {
  const changing = new Set(desired.filter((attribute) => current[attribute.Name] !== attribute.Value).map((a) => a.Name));
  // Cognito resets `email_verified` to false whenever `email` changes, unless the same call sets it.
  if (changing.has("email")) changing.add("email_verified");
  if (changing.has("phone_number")) changing.add("phone_number_verified");
  return desired.filter((attribute) => changing.has(attribute.Name));
}

/**
 * Mapped attributes the SCIM data explicitly empties (field present as `null` or `""`) while
 * Cognito still holds a value, as blank values: AdminUpdateUserAttributes deletes an attribute
 * given a blank value. A field the data does not mention at all is left alone.
 */
export function attributesToClear(
  cognito: Config["cognito"],
  parsedUserData: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, string>>,
): CognitoAttribute[] {
  const cleared: CognitoAttribute[] = [];
  for (const [field, attributeName] of Object.entries(cognito.attributeMap)) {
    if (attributeName === cognito.tenantAttribute || !(field in parsedUserData)) continue;
    const value = parsedUserData[field];
    if ((value === null || value === "") && (current[attributeName] ?? "") !== "") cleared.push({ Name: attributeName, Value: "" });
  }
  return cleared;
}
