/** What the end-to-end globalSetup hands to the tests (serialisable). */
export interface E2eStack {
  sidecarUrl: string;
  cognitoUrl: string;
  integrationKey: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  pools: { emailAsUsername: string; plainUsernames: string; shared: string };
  customers: {
    customerId: string;
    connectionId: string;
    scimApiKey: string;
    userPoolId: string;
    poolRecord: { userPoolId: string; shared: boolean } | null;
  }[];
  workerVars: Record<string, string>;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2eStack: E2eStack;
  }
}
