/**
 * Hosts cognito-local (npm `cognito-local` 5.3.0) inside this process instead of as a child.
 *
 * Why in-process: it starts in ~0.2 s (no second Node boot, and aws-sdk v2 is never loaded),
 * nothing can leak as an orphan process, the front calls cognito-local's target router directly
 * (no second HTTP hop), and we can swap its data store for the write-behind, indexed one and make
 * `getUserByUsername` use that index (user-index.ts). The price is a dependency on cognito-local's
 * internal module layout (`lib/server/*.js`, `lib/services/*`), pinned by package-lock; the narrow
 * interfaces below are all we rely on. Lambda triggers and KMS (custom sender triggers) are not
 * wired: the emulator creates no trigger configuration.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { installIndexedLookup, type UserIndex } from "./user-index.ts";
import { WriteBehindDataStoreFactory } from "./write-behind-store.ts";

/** cognito-local's logger contract (pino). */
export interface ClLogger {
  child(bindings: object): ClLogger;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
export interface ClContext {
  readonly logger: ClLogger;
}
export interface ClAttribute {
  Name: string;
  Value?: string;
}
/** A stored user record (the live object; copy before changing). */
export interface ClUser {
  Username: string;
  Attributes: ClAttribute[];
  Enabled: boolean;
  UserStatus: string;
  RefreshTokens?: string[];
  UserCreateDate: Date;
  UserLastModifiedDate: Date;
  [field: string]: unknown;
}
export interface ClSchemaAttribute {
  Name?: string;
  Mutable?: boolean;
  Required?: boolean;
  AttributeDataType?: string;
}
export interface ClUserPoolOptions {
  Id: string;
  Arn?: string;
  Name?: string;
  UsernameAttributes?: string[];
  AliasAttributes?: string[];
  SchemaAttributes?: ClSchemaAttribute[];
  UserPoolTags?: Record<string, string>;
  UsernameConfiguration?: { CaseSensitive?: boolean };
  LambdaConfig?: unknown;
  Status?: string;
  CreationDate?: Date;
  LastModifiedDate?: Date;
  [field: string]: unknown;
}
export interface ClUserPoolService {
  readonly options: ClUserPoolOptions;
  getUserByUsername(ctx: ClContext, username: string): Promise<ClUser | null>;
  listUsers(ctx: ClContext, filter?: string): Promise<ClUser[]>;
  saveUser(ctx: ClContext, user: ClUser): Promise<void>;
  updateOptions(ctx: ClContext, options: ClUserPoolOptions): Promise<void>;
}
export interface ClCognitoService {
  getUserPool(ctx: ClContext, userPoolId: string): Promise<ClUserPoolService>;
  listUserPools(ctx: ClContext): Promise<ClUserPoolOptions[]>;
}

/** Outcome of one cognito-local target, before serialisation (output may hold Dates and live refs). */
export type CoreOutcome =
  | { ok: true; output: Record<string, unknown> }
  | { ok: false; status: number; errorType: string; message: string };

export interface CognitoLocalCore {
  readonly ctx: ClContext;
  readonly cognito: ClCognitoService;
  /** Runs one target exactly as cognito-local's `POST /` handler would. */
  call(operation: string, body: unknown): Promise<CoreOutcome>;
  /** cognito-local's express app, for the routes that are not the JSON API (JWKS, OAuth2). */
  handleHttp(req: IncomingMessage, res: ServerResponse): void;
  /** Secondary index over a pool's users (undefined if the pool is unknown). */
  userIndex(userPoolId: string): UserIndex | undefined;
  /** Stops persisting a deleted pool. */
  discardPool(userPoolId: string): Promise<void>;
  /** Writes every pending change to disk. */
  flush(): Promise<void>;
}

export interface CognitoLocalCoreOptions {
  /** Directory that holds `.cognito/`. */
  dataDir: string;
  /** Issuer for tokens cognito-local mints (the emulator's URL). */
  issuerUrl: string;
  /** Log cognito-local internals (pino, to stderr) at this level. Default silent. */
  logLevel?: "silent" | "error" | "warn" | "info" | "debug";
}

type Constructor<T = object> = new (...args: unknown[]) => T;
interface ClModules {
  Router: (services: object) => (target: string) => (ctx: ClContext, req: unknown) => Promise<unknown>;
  createServer: (router: unknown, logger: ClLogger, options: object, services: object) => { application: (req: IncomingMessage, res: ServerResponse) => void };
  DateClock: Constructor;
  CognitoServiceFactoryImpl: Constructor<{ create(ctx: ClContext, defaults: object): Promise<ClCognitoService> }>;
  UserPoolServiceFactoryImpl: Constructor;
  UserPoolServiceImpl: { prototype: object };
  LambdaService: Constructor;
  TriggersService: Constructor;
  MessagesService: Constructor;
  MessageDeliveryService: Constructor;
  ConsoleMessageSender: Constructor;
  JwtTokenGenerator: Constructor;
  otp: () => string;
  UnsupportedError: Constructor<Error>;
  CognitoError: Constructor<Error & { code: string }>;
  pino: (options: object, destination?: unknown) => ClLogger;
  pinoDestination: (fd: number) => unknown;
}

let modules: ClModules | undefined;

function loadModules(): ClModules {
  if (modules !== undefined) return modules;
  const req = createRequire(createRequire(import.meta.url).resolve("cognito-local/package.json"));
  const pick = <T>(path: string, name: string): T => (req(path) as Record<string, T>)[name] as T;
  const pino = req("pino") as ClModules["pino"] & { destination: (fd: number) => unknown };
  modules = {
    Router: pick("./lib/server/Router.js", "Router"),
    createServer: pick("./lib/server/server.js", "createServer"),
    DateClock: pick("./lib/services/clock.js", "DateClock"),
    CognitoServiceFactoryImpl: pick("./lib/services/cognitoService.js", "CognitoServiceFactoryImpl"),
    UserPoolServiceFactoryImpl: pick("./lib/services/userPoolService.js", "UserPoolServiceFactoryImpl"),
    UserPoolServiceImpl: pick("./lib/services/userPoolService.js", "UserPoolServiceImpl"),
    LambdaService: pick("./lib/services/lambda.js", "LambdaService"),
    TriggersService: pick("./lib/services/triggers/triggers.js", "TriggersService"),
    MessagesService: pick("./lib/services/messages.js", "MessagesService"),
    MessageDeliveryService: pick("./lib/services/messageDelivery/messageDelivery.js", "MessageDeliveryService"),
    ConsoleMessageSender: pick("./lib/services/messageDelivery/consoleMessageSender.js", "ConsoleMessageSender"),
    JwtTokenGenerator: pick("./lib/services/tokenGenerator.js", "JwtTokenGenerator"),
    otp: pick("./lib/services/otp.js", "otp"),
    UnsupportedError: pick("./lib/errors.js", "UnsupportedError"),
    CognitoError: pick("./lib/errors.js", "CognitoError"),
    pino,
    pinoDestination: (fd) => pino.destination(fd),
  };
  installIndexedLookup(modules.UserPoolServiceImpl);
  return modules;
}

/** Never called: no trigger is configured, so cognito-local never invokes Lambda or KMS. */
const unusedAwsClient = {
  invoke(): never {
    throw new Error("Lambda triggers are not supported by the Cognito emulator");
  },
};

/**
 * Builds cognito-local's services over `<dataDir>/.cognito/db` with the write-behind store.
 * Pools are created exactly as requested (no `UserPoolDefaults.UsernameAttributes = ["email"]`).
 */
export async function createCognitoLocalCore(options: CognitoLocalCoreOptions): Promise<CognitoLocalCore> {
  const m = loadModules();
  const configDir = join(options.dataDir, ".cognito");
  const dbDir = join(configDir, "db");
  mkdirSync(dbDir, { recursive: true });
  // Not read by the in-process host (it passes empty UserPoolDefaults itself); written so that a
  // stock `cognito-local` pointed at the same directory also creates pools exactly as asked.
  const configFile = join(configDir, "config.json");
  if (!existsSync(configFile)) writeFileSync(configFile, `${JSON.stringify({ UserPoolDefaults: { UsernameAttributes: [] } })}\n`);

  const level = options.logLevel ?? "silent";
  const logger = level === "silent" ? m.pino({ level }) : m.pino({ level }, m.pinoDestination(2));
  const ctx: ClContext = { logger };
  const userPoolDefaults = {};
  const config = {
    LambdaClient: {},
    TriggerFunctions: {},
    UserPoolDefaults: userPoolDefaults,
    TokenConfig: { IssuerDomain: options.issuerUrl },
    KMSConfig: {},
    ServerConfig: { development: false, https: false },
  };

  const clock = new m.DateClock();
  const store = new WriteBehindDataStoreFactory(dbDir);
  const cognitoFactory = new m.CognitoServiceFactoryImpl(dbDir, store, new m.UserPoolServiceFactoryImpl(clock, store));
  const cognito = await cognitoFactory.create(ctx, userPoolDefaults);
  const triggers = new m.TriggersService(clock, cognito, new m.LambdaService({}, unusedAwsClient), unusedAwsClient);
  const services = {
    clock,
    cognito,
    config,
    messages: new m.MessagesService(triggers, new m.MessageDeliveryService(new m.ConsoleMessageSender())),
    otp: m.otp,
    tokenGenerator: new m.JwtTokenGenerator(clock, triggers, config.TokenConfig),
    triggers,
  };
  const router = m.Router(services);
  const app = m.createServer(router, logger, config.ServerConfig, services).application;

  return {
    ctx,
    cognito,
    async call(operation, body) {
      try {
        const output = await router(operation)(ctx, body ?? {});
        return { ok: true, output: (output ?? {}) as Record<string, unknown> };
      } catch (error) {
        if (error instanceof m.UnsupportedError) {
          return {
            ok: false,
            status: 500,
            errorType: "CognitoLocal#Unsupported",
            message: `Cognito Local unsupported feature: ${error.message}`,
          };
        }
        if (error instanceof m.CognitoError) {
          return { ok: false, status: 400, errorType: error.code, message: error.message };
        }
        // cognito-local answers 500 `{}` here; a named error is easier to debug.
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, status: 500, errorType: "InternalErrorException", message };
      }
    },
    handleHttp(req, res) {
      app(req, res);
    },
    userIndex: (userPoolId) => store.userIndex(userPoolId),
    discardPool: (userPoolId) => store.discard(userPoolId),
    flush: () => store.flushAll(),
  };
}
