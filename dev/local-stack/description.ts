/** What `npm run dev` writes for other local tools (`npm run demo`, benchmarks). Local values only. */
export const LOCAL_STACK_FILE = ".local-stack/stack.json";

export interface LocalStackDescription {
  workerUrl: string;
  scimBaseUrl: string;
  sidecarUrl: string;
  cognitoUrl: string;
  region: string;
  adminToken: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  pools: { emailAsUsername: string; plainUsernames: string; shared: string };
  customers: { customerId: string; connectionId: string; scimApiKey: string; userPoolId: string }[];
}
