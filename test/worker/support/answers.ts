/** Builders for sidecar answers in the exact wire shapes of the BYO contract. */
import type { ScriptedAnswer } from "./fake-sidecar";

export const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export function completed(connectionId: string, responseHttpCode: number, responseData?: Record<string, unknown>, affectedUserIds?: string[]): ScriptedAnswer {
  return {
    status: 200,
    json: {
      status: "Completed",
      connectionId,
      responseHttpCode,
      ...(responseData ? { responseData } : {}),
      ...(affectedUserIds ? { affectedUserIds } : {}),
    },
  };
}

export function linkUser(
  connectionId: string,
  fields: { commitId?: string; userName: string; primaryEmail?: string | null; active?: boolean; parsedUserData?: Record<string, unknown> },
): ScriptedAnswer {
  return {
    status: 200,
    json: {
      status: "ActionRequired",
      action: "LinkUser",
      connectionId,
      commitId: fields.commitId ?? `commit-${fields.userName}`,
      userName: fields.userName,
      primaryEmail: fields.primaryEmail === undefined ? fields.userName : fields.primaryEmail,
      parsedUserData: fields.parsedUserData ?? {},
      active: fields.active ?? true,
      ssoUserSubject: fields.userName,
    },
  };
}

export function userAction(
  connectionId: string,
  action: "DisableUser" | "EnableUser" | "DeleteUser",
  userId: string,
  commitId = `commit-${action}-${userId}`,
): ScriptedAnswer {
  return {
    status: 200,
    json: { status: "ActionRequired", action, connectionId, commitId, userId, primaryEmail: null, parsedUserData: {} },
  };
}

export function clientFacing(status: number, detail: string, underlyingType: string, scimType?: string): ScriptedAnswer {
  return {
    status,
    json: {
      statusToReturn: status,
      bodyToReturn: { schemas: [SCIM_ERROR_SCHEMA], status: String(status), detail, ...(scimType ? { scimType } : {}) },
      underlyingError: { type: underlyingType },
    },
  };
}

export function scimUser(id: string, userName: string, active = true): Record<string, unknown> {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    id,
    userName,
    active,
    meta: { resourceType: "User", location: `/Users/${id}` },
  };
}
