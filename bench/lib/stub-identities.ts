/**
 * The fixed identities every stub answer talks about, shared by the upstream stubs (Node) and the
 * CPU harness (workerd), so both benchmarks exercise the same request. No runtime imports.
 */
export const STUB_CONNECTION_ID = "conn_bench";
export const STUB_CUSTOMER_ID = "bench";
export const STUB_USER_SUB = "8c1b6a43-1b4f-4b8e-9d7a-5b0a3a7f2e11";
export const STUB_USER_POOL_ID = "local_BenchPool1";
export const STUB_SCIM_API_KEY = "scim_bench_key_0123456789abcdef";

export const STUB_USER = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  id: "5f0c3f5e-7d0b-4c57-9a55-2a3b8e2c1d00",
  userName: "ada@bench.test",
  name: { givenName: "Ada", familyName: "Lovelace" },
  emails: [{ value: "ada@bench.test", primary: true }],
  active: true,
  meta: { resourceType: "User", created: "2026-01-01T00:00:00Z", lastModified: "2026-01-01T00:00:00Z", location: "/Users/5f0c3f5e-7d0b-4c57-9a55-2a3b8e2c1d00" },
};
