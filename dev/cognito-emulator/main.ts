/**
 * CLI for the Cognito emulator: `npx tsx dev/cognito-emulator/main.ts`.
 *
 * Environment (all optional):
 *   COGNITO_EMULATOR_PORT      port on 127.0.0.1 (default 9229)
 *   COGNITO_EMULATOR_DATA_DIR  state directory, `.cognito/` goes inside (default .local-stack/cognito)
 *   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *                              the only key pair accepted (default LOCAL_EMULATOR_CREDENTIALS)
 *   COGNITO_EMULATOR_THROTTLE  JSON limits, e.g. {"UserCreation":50,"UserUpdate":25}
 *   COGNITO_EMULATOR_LOG=1     one line per API call on stdout
 * Prints the URL on stdout, then stays quiet. SIGINT/SIGTERM close it and flush state to disk.
 */
import { resolve } from "node:path";
import { LOCAL_EMULATOR_CREDENTIALS, startCognitoEmulator, type EmulatorCredentials } from "./index.ts";
import { parseThrottleLimits, type ThrottleLimits } from "./limits.ts";

const DEFAULT_PORT = 9229;
const DEFAULT_DATA_DIR = ".local-stack/cognito";

function fail(message: string): never {
  console.error(`cognito-emulator: ${message}`);
  process.exit(2);
}

function readPort(): number {
  const raw = process.env["COGNITO_EMULATOR_PORT"];
  if (raw === undefined || raw === "") return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail("COGNITO_EMULATOR_PORT must be a port number");
  return port;
}

function readCredentials(): EmulatorCredentials {
  const accessKeyId = process.env["AWS_ACCESS_KEY_ID"];
  const secretAccessKey = process.env["AWS_SECRET_ACCESS_KEY"];
  if (!accessKeyId && !secretAccessKey) return LOCAL_EMULATOR_CREDENTIALS;
  if (!accessKeyId || !secretAccessKey) fail("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither");
  const sessionToken = process.env["AWS_SESSION_TOKEN"];
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

function readThrottle(): ThrottleLimits {
  const raw = process.env["COGNITO_EMULATOR_THROTTLE"];
  if (raw === undefined || raw === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail("COGNITO_EMULATOR_THROTTLE is not valid JSON");
  }
  const limits = parseThrottleLimits(json);
  if (!limits.ok) fail(`COGNITO_EMULATOR_THROTTLE: ${limits.message}`);
  return limits.value;
}

const credentials = readCredentials();
const emulator = await startCognitoEmulator({
  port: readPort(),
  dataDir: resolve(process.env["COGNITO_EMULATOR_DATA_DIR"] || DEFAULT_DATA_DIR),
  credentials: [credentials],
  throttle: readThrottle(),
  logRequests: process.env["COGNITO_EMULATOR_LOG"] === "1",
}).catch((error: unknown) => fail(`cannot start: ${error instanceof Error ? error.message : String(error)}`));
console.log(`Cognito emulator listening on ${emulator.url} (access key ${credentials.accessKeyId}, region "local")`);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await emulator.close();
    process.exit(0);
  } catch (error) {
    console.error(`cognito-emulator: error while stopping on ${signal}:`, error);
    process.exit(1);
  }
}
process.on("SIGINT", (signal) => void stop(signal));
process.on("SIGTERM", (signal) => void stop(signal));
