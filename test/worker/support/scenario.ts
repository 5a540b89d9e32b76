/** A connection mapped to a customer and a pool, with the fakes primed, for action tests. */
import { mapCustomer, uniqueId, uniquePoolId, createHarness, type Harness, type HarnessOptions } from "./harness";
import type { FakePool } from "./fake-cognito";

export interface Scenario {
  readonly h: Harness;
  readonly connectionId: string;
  readonly customerId: string;
  readonly userPoolId: string;
}

export async function scenario(
  options: { pool?: FakePool; shared?: boolean; userPoolId?: string; mapped?: boolean } & HarnessOptions = {},
): Promise<Scenario> {
  const connectionId = uniqueId("conn");
  const customerId = uniqueId("cust");
  const userPoolId = options.userPoolId ?? uniquePoolId();
  const h = createHarness({ ...options, customerByConnection: { [connectionId]: customerId, ...options.customerByConnection } });
  h.cognito.addPool(userPoolId, options.pool ?? {});
  if (options.mapped !== false) await mapCustomer(customerId, { userPoolId, shared: options.shared ?? false });
  return { h, connectionId, customerId, userPoolId };
}
