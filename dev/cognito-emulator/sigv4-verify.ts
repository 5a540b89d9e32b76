/**
 * SigV4 verification for requests addressed to the Cognito emulator (or any AWS JSON fake).
 *
 * Runtime-agnostic on purpose: a Workers-side test fake imports this module too, so it uses only
 * Web APIs and @smithy/signature-v4 (no `node:` modules, no Buffer). SHA-256/HMAC come from
 * WebCrypto rather than @aws-crypto/sha256-js, whose @smithy/util-utf8@2 dependency pulls the npm
 * `buffer` polyfill into bundles that ignore the package.json "browser" map (it then crashes in
 * workerd on `global`). The signature is recomputed with smithy from the signed headers alone, with
 * `applyChecksum: false` (otherwise smithy adds x-amz-content-sha256 to the signed set and never
 * matches), then compared in constant time. Error names and messages follow what AWS answers.
 */
import { SignatureV4 } from "@smithy/signature-v4";

/** One request as it arrived on the wire. */
export interface SignedRequestParts {
  method: string;
  /** Path plus `?` plus the raw query, exactly as on the wire. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** A key pair the emulator accepts. With `sessionToken`, requests must carry the same token. */
export interface EmulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type SigV4ErrorType =
  | "MissingAuthenticationTokenException"
  | "IncompleteSignatureException"
  | "UnrecognizedClientException"
  | "InvalidSignatureException";

export type SigV4Verdict =
  | { ok: true; accessKeyId: string; region: string; service: string; signedHeaders: string[] }
  | { ok: false; errorType: SigV4ErrorType; message: string };

export interface VerifySigV4Options {
  /** Clock used for the skew check. Default `() => new Date()`. */
  now?: () => Date;
  /** Service the credential scope must name. Default `"cognito-idp"`. */
  expectedService?: string;
  /** Largest accepted distance between `x-amz-date` and now. Default 15 minutes (AWS's window). */
  maxSkewMs?: number;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const DEFAULT_SERVICE = "cognito-idp";
/** AWS accepts requests signed up to 15 minutes before or after its own clock. */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const SIGNATURE_MISMATCH_MESSAGE =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid.";

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * Checks the `Authorization` header of one request against the accepted credentials.
 *
 * Order of checks (first failure wins): header present → well-formed → `x-amz-date` present →
 * known access key → service in scope → date format, scope date, skew → `host` and `x-amz-date`
 * signed → session token → `x-amz-content-sha256` (if signed) matches the body → signature.
 *
 * @param req The request as received (lower-case header names, raw body text).
 * @param credentials Accepted key pairs; the first whose access key id matches is used.
 * @param opts `now` (default system clock), `expectedService` (default `"cognito-idp"`),
 *   `maxSkewMs` (default 15 min).
 * @returns A verdict; never throws for bad input.
 * @example
 *   const verdict = await verifySigV4({ method: "POST", path: "/", headers, body }, [{ accessKeyId, secretAccessKey }]);
 *   if (!verdict.ok) return awsError(400, verdict.errorType, verdict.message);
 */
export async function verifySigV4(
  req: SignedRequestParts,
  credentials: readonly EmulatorCredentials[],
  opts: VerifySigV4Options = {},
): Promise<SigV4Verdict> {
  const now = opts.now ?? (() => new Date());
  const expectedService = opts.expectedService ?? DEFAULT_SERVICE;
  const maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const headers = lowerCaseKeys(req.headers);

  const authorization = headers["authorization"];
  if (authorization === undefined || authorization.trim() === "") {
    return fail("MissingAuthenticationTokenException", "Request is missing Authentication Token");
  }
  const parsed = parseAuthorization(authorization);
  if (!parsed.ok) return fail("IncompleteSignatureException", parsed.message);
  const auth = parsed.value;

  const amzDate = headers["x-amz-date"];
  if (amzDate === undefined) {
    return fail(
      "IncompleteSignatureException",
      `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`,
    );
  }

  const credential = credentials.find((c) => c.accessKeyId === auth.accessKeyId);
  if (credential === undefined) return fail("UnrecognizedClientException", INVALID_TOKEN_MESSAGE);

  if (auth.service !== expectedService) {
    return fail("InvalidSignatureException", `Credential should be scoped to correct service: '${expectedService}'. `);
  }

  const signingDate = parseAmzDate(amzDate);
  if (signingDate === undefined) {
    return fail(
      "IncompleteSignatureException",
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    return fail(
      "InvalidSignatureException",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  const skewFailure = checkSkew(signingDate, now(), maxSkewMs);
  if (skewFailure !== undefined) return fail("InvalidSignatureException", skewFailure);

  if (!auth.signedHeaders.includes("host")) {
    return fail("IncompleteSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (!auth.signedHeaders.includes("x-amz-date")) {
    return fail("IncompleteSignatureException", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  }

  const token = headers["x-amz-security-token"];
  if (credential.sessionToken !== undefined) {
    if (token === undefined || !constantTimeEqual(token, credential.sessionToken)) {
      return fail("UnrecognizedClientException", INVALID_TOKEN_MESSAGE);
    }
  } else if (token !== undefined) {
    return fail("UnrecognizedClientException", INVALID_TOKEN_MESSAGE);
  }

  const claimedPayloadHash = headers["x-amz-content-sha256"];
  if (claimedPayloadHash !== undefined && auth.signedHeaders.includes("x-amz-content-sha256")) {
    const actual = await sha256Hex(req.body);
    if (!constantTimeEqual(claimedPayloadHash.toLowerCase(), actual)) {
      return fail("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  }

  const expected = await computeSignature(req, headers, auth, credential, signingDate);
  if (expected === undefined || !constantTimeEqual(expected, auth.signature)) {
    return fail("InvalidSignatureException", SIGNATURE_MISMATCH_MESSAGE);
  }
  return {
    ok: true,
    accessKeyId: auth.accessKeyId,
    region: auth.region,
    service: auth.service,
    signedHeaders: auth.signedHeaders,
  };
}

function fail(errorType: SigV4ErrorType, message: string): SigV4Verdict {
  return { ok: false, errorType, message };
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

type ParseResult = { ok: true; value: ParsedAuthorization } | { ok: false; message: string };

function parseAuthorization(header: string): ParseResult {
  const trimmed = header.trim();
  const space = trimmed.indexOf(" ");
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== ALGORITHM) {
    return { ok: false, message: `Unsupported AWS 'algorithm': '${algorithm}'. Authorization=${header}` };
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ["Credential", "Signature", "SignedHeaders"].filter((name) => !fields.get(name));
  if (missing.length > 0) {
    const reasons = missing.map((name) => `Authorization header requires '${name}' parameter.`).join(" ");
    return { ok: false, message: `${reasons} Authorization=${header}` };
  }
  const credential = fields.get("Credential") ?? "";
  const scope = credential.split("/");
  const [accessKeyId, scopeDate, region, service, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !scopeDate || !region || !service) {
    return { ok: false, message: `Credential should be scoped to a valid region. Authorization=${header}` };
  }
  if (terminator !== "aws4_request") {
    return { ok: false, message: `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator ?? ""}'.` };
  }
  const signedHeaders = (fields.get("SignedHeaders") ?? "").split(";").map((h) => h.trim().toLowerCase());
  const signature = (fields.get("Signature") ?? "").toLowerCase();
  return { ok: true, value: { accessKeyId, scopeDate, region, service, signedHeaders, signature } };
}

const AMZ_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE_PATTERN.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  if (y === undefined || mo === undefined || d === undefined || h === undefined || mi === undefined || s === undefined) {
    return undefined;
  }
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function checkSkew(signed: Date, now: Date, maxSkewMs: number): string | undefined {
  const minutes = Math.round(maxSkewMs / 60_000);
  if (signed.getTime() < now.getTime() - maxSkewMs) {
    const floor = new Date(now.getTime() - maxSkewMs);
    return `Signature expired: ${formatAmzDate(signed)} is now earlier than ${formatAmzDate(floor)} (${formatAmzDate(now)} - ${minutes} min.)`;
  }
  if (signed.getTime() > now.getTime() + maxSkewMs) {
    const ceiling = new Date(now.getTime() + maxSkewMs);
    return `Signature not yet current: ${formatAmzDate(signed)} is still later than ${formatAmzDate(ceiling)} (${formatAmzDate(now)} + ${minutes} min.)`;
  }
  return undefined;
}

async function computeSignature(
  req: SignedRequestParts,
  headers: Record<string, string>,
  auth: ParsedAuthorization,
  credential: EmulatorCredentials,
  signingDate: Date,
): Promise<string | undefined> {
  const signedOnly: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = headers[name];
    if (value !== undefined) signedOnly[name] = value;
  }
  const queryStart = req.path.indexOf("?");
  const pathOnly = queryStart === -1 ? req.path : req.path.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? "" : req.path.slice(queryStart + 1);
  const host = headers["host"] ?? "";
  // The session token (if any) is checked separately above; signing with it here would make
  // smithy add x-amz-security-token even when the client did not sign it.
  const signer = new SignatureV4({
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    region: auth.region,
    service: auth.service,
    sha256: WebCryptoSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method.toUpperCase(),
      protocol: "http:",
      hostname: host.replace(/:\d+$/, ""),
      path: pathOnly === "" ? "/" : pathOnly,
      query: parseQuery(rawQuery),
      headers: signedOnly,
      body: req.body,
    },
    {
      signingDate,
      signingRegion: auth.region,
      signingService: auth.service,
      signableHeaders: new Set(auth.signedHeaders),
    },
  );
  const produced = signed.headers["authorization"] ?? "";
  const reparsed = parseAuthorization(produced);
  if (!reparsed.ok) return undefined;
  // A header listed as signed but absent from the request changes the signed set: no match.
  if (reparsed.value.signedHeaders.join(";") !== auth.signedHeaders.join(";")) return undefined;
  return reparsed.value.signature;
}

function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (raw === "") return query;
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = safeDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = safeDecode(eq === -1 ? "" : pair.slice(eq + 1));
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/**
 * SHA-256 (or HMAC-SHA-256 when given a secret) over WebCrypto, in the shape smithy's SignatureV4
 * expects of its `sha256` constructor: `new Sha256(secret?)`, `update()`, `digest()`.
 */
export class WebCryptoSha256 {
  private chunks: Uint8Array[] = [];
  private readonly secret: Uint8Array | undefined;

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : toBytes(secret).slice();
  }

  update(data: SourceData): void {
    this.chunks.push(toBytes(data).slice());
  }

  async digest(): Promise<Uint8Array> {
    const length = this.chunks.reduce((n, c) => n + c.byteLength, 0);
    const message = new Uint8Array(length);
    let offset = 0;
    for (const chunk of this.chunks) {
      message.set(chunk, offset);
      offset += chunk.byteLength;
    }
    if (this.secret === undefined) return new Uint8Array(await crypto.subtle.digest("SHA-256", message));
    const key = await crypto.subtle.importKey("raw", this.secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
  }

  reset(): void {
    this.chunks = [];
  }
}

async function sha256Hex(text: string): Promise<string> {
  const hash = new WebCryptoSha256();
  hash.update(text);
  return toHex(await hash.digest());
}

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** Compares two strings without an early exit on the first differing character. */
export function constantTimeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) {
    diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  }
  return diff === 0;
}
