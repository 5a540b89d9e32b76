/**
 * docs/iam-policy.json must grant exactly the Cognito operations the worker calls: a missing action
 * fails in production with AccessDenied, an extra one is privilege nobody needs.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const OPERATION_CALL = /\b(?:call|actOnUser)\(\s*"([A-Za-z]+)"/g;

describe("the least-privilege IAM policy", () => {
  it("names exactly the operations src/cognito/user-directory.ts performs", async () => {
    const source = await readFile(new URL("../../src/cognito/user-directory.ts", import.meta.url), "utf8");
    const called = new Set([...source.matchAll(OPERATION_CALL)].map((m) => `cognito-idp:${m[1]}`));
    expect(called.size).toBeGreaterThan(10);

    const policy = JSON.parse(await readFile(new URL("../../docs/iam-policy.json", import.meta.url), "utf8")) as {
      Statement: { Effect: string; Action: string[]; Resource: string }[];
    };
    const granted = new Set(policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action));
    expect([...granted].sort()).toEqual([...called].sort());
    // Only ListUserPools cannot be scoped to pool ARNs.
    for (const statement of policy.Statement) {
      if (statement.Resource === "*") expect(statement.Action).toEqual(["cognito-idp:ListUserPools"]);
    }
  });

  it("leaves no operation of the worker outside src/cognito/user-directory.ts", async () => {
    const { readdir } = await import("node:fs/promises");
    const files = (await readdir(new URL("../../src/", import.meta.url), { recursive: true })).filter((f) => /\.tsx?$/.test(f) && f !== "cognito/user-directory.ts");
    for (const file of files) {
      const source = await readFile(new URL(`../../src/${file}`, import.meta.url), "utf8");
      expect(source, file).not.toMatch(/AWSCognitoIdentityProviderService\.[A-Z]/);
      expect(source, file).not.toMatch(/\.call\(\s*"[A-Z]/);
    }
  });
});
