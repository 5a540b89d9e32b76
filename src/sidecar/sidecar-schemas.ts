/**
 * Shapes we accept from the sidecar. The package's types are casts, not checks, so every answer
 * is validated before use: anything else is a sidecar failure, never a success (contract §10.6).
 */
import * as z from "zod";

const jsonObject = z.record(z.string(), z.unknown());

export const completedSchema = z.object({
  connectionId: z.string().min(1),
  // 1xx cannot be a final answer (and `new Response` refuses it): anything outside 200–599 is a contract breach.
  responseHttpCode: z.number().int().min(200).max(599),
  responseData: jsonObject.optional().nullable(),
  affectedUserIds: z.array(z.string()).optional().nullable(),
});

const actionBase = {
  status: z.literal("ActionRequired"),
  connectionId: z.string().min(1),
  commitId: z.string().min(1),
  primaryEmail: z.string().nullable(),
  parsedUserData: jsonObject,
};

export const linkUserActionSchema = z.object({
  ...actionBase,
  action: z.literal("LinkUser"),
  userName: z.string().min(1),
  active: z.boolean(),
  ssoUserSubject: z.string().nullable(),
});

const existingUserAction = <A extends "DisableUser" | "EnableUser" | "DeleteUser">(action: A) =>
  z.object({ ...actionBase, action: z.literal(action), userId: z.string().min(1) });

export const scimRequestResponseSchema = z.union([
  completedSchema.extend({ status: z.literal("Completed") }),
  z.discriminatedUnion("action", [
    linkUserActionSchema,
    existingUserAction("DisableUser"),
    existingUserAction("EnableUser"),
    existingUserAction("DeleteUser"),
  ]),
]);

export const clientFacingErrorSchema = z.object({
  statusToReturn: z.number().int().min(400).max(599),
  bodyToReturn: z.unknown(),
  underlyingError: z.object({ type: z.string() }).passthrough().optional(),
});

export const commandErrorSchema = z.object({ type: z.string() }).passthrough();

export const fetchScimConnectionSchema = z.object({
  connectionId: z.string().min(1),
  customerId: z.string().min(1),
  displayName: z.string().nullable().optional(),
  scimApiKeyValidUntil: z.number().nullable().optional(),
});

export const pingSchema = z.object({ timestamp: z.number() });

/**
 * `GetScimUser`'s answer: the user as the sidecar holds it now, plus its groups. `userId` is the
 * app's id (our Cognito `sub`), null when the SCIM user was never linked.
 */
/** `CompleteScimUserResponse`: one SCIM user as GetScimUser and GetScimUsers return it. */
export const completeScimUserSchema = z.object({
  connectionId: z.string().min(1),
  scimUser: jsonObject,
  primaryEmail: z.string().nullable(),
  parsedUserData: jsonObject,
  active: z.boolean(),
  userId: z.string().min(1).nullable(),
});

export const getScimUserSchema = z.object({
  connectionId: z.string().min(1),
  user: completeScimUserSchema,
  groups: z.array(
    z.object({
      groupId: z.string().min(1),
      displayName: z.string(),
      externalId: z.string().nullable().optional(),
    }),
  ),
});

export type CompletedAnswer = z.infer<typeof completedSchema>;
export type ScimUserRecord = z.infer<typeof getScimUserSchema>;
export type ScimRequestAnswer = z.infer<typeof scimRequestResponseSchema>;
export type ActionRequiredAnswer = Exclude<ScimRequestAnswer, { status: "Completed" }>;
export type LinkUserAction = z.infer<typeof linkUserActionSchema>;
export type ExistingUserAction = Exclude<ActionRequiredAnswer, LinkUserAction>;
