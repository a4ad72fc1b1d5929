// HTTP answers for the admin and decision APIs: every refusal is
// `{error: {code, message}}` with the SPEC error code and a status that
// says which kind of problem it is. Nothing here reads or writes state.
import type { ErrorBody } from "../types.js";

/** Codes of the HTTP layer, beside SPEC's: authentication, routing, size and rate. */
export type HttpErrorCode =
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "payload-too-large"
  | "rate-limited";

export interface ApiError {
  code: ErrorBody["code"] | HttpErrorCode;
  message: string;
  holders?: string[];
}

const STATUS: Record<ApiError["code"], number> = {
  "invalid-input": 400,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  "unknown-account": 404,
  "unknown-domain": 404,
  "unknown-class": 404,
  "unknown-feature": 404,
  "already-exists": 409,
  "seats-exhausted": 409,
  "mailboxes-exhausted": 409,
  "payload-too-large": 413,
  "rate-limited": 429,
  // Lost the race for the store on every try: nothing was written and the same request may simply
  // be sent again, so it is "try later" (503), like the gateway says it, not a 409 that asks the
  // caller to change something first.
  conflict: 503,
  "store-error": 503,
};

/** Seconds a client should wait before retrying a refusal that is only about now (503s). */
const RETRY_AFTER: Partial<Record<ApiError["code"], number>> = { conflict: 1, "store-error": 5 };

export function statusOf(code: ApiError["code"]): number {
  return STATUS[code] ?? 500;
}

export function retryAfterOf(code: ApiError["code"]): number | undefined {
  return RETRY_AFTER[code];
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

export function failure(error: ApiError, headers: Record<string, string> = {}): Response {
  const retry = retryAfterOf(error.code);
  return json(
    { error },
    statusOf(error.code),
    retry === undefined ? headers : { "retry-after": String(retry), ...headers },
  );
}

/** The gateway's own answers (never the mail server's): one `seatcap: …` line of text. */
export function gatewayText(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(`seatcap: ${message}\n`, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/** Why an allowed request got no answer from the mail server. */
export type UpstreamFailure = "not-configured" | "unreachable" | "timeout" | "busy";

/**
 * The gateway's 502/503/504 when the mail server can't answer: the same few
 * words for anyone, so no caller learns the upstream's address, port or
 * error (log those for the operator instead).
 */
export function upstreamFailure(kind: UpstreamFailure): Response {
  switch (kind) {
    case "not-configured":
      return gatewayText(502, "no mail server is configured behind this gateway");
    case "unreachable":
      return gatewayText(502, "the mail server could not be reached; try again shortly", {
        "retry-after": "5",
      });
    case "timeout":
      return gatewayText(504, "the mail server did not answer in time; try again shortly", {
        "retry-after": "5",
      });
    case "busy":
      return gatewayText(503, "the mail server is busy; try again shortly", { "retry-after": "5" });
  }
}

/**
 * Whether a request path may be routed or forwarded as it is: no segment
 * that decodes (once, or again as a server behind might) to `.` or `..`
 * (`%2e%2e`) or to something holding a slash, backslash or NUL (`..%2f`,
 * `%5c`, `%252f`), which a server behind could resolve into a path outside
 * the one checked here. A raw backslash is refused too.
 */
export function isSafePath(url: URL | string): boolean {
  const raw = typeof url === "string" ? rawPath(url) : url.pathname;
  if (raw.includes("\\")) return false;
  for (const segment of raw.split("/")) {
    let decoded = segment;
    for (let round = 0; round < 3 && /[%.]/.test(decoded); round++) {
      try {
        const next = decodeURIComponent(decoded);
        if (next === decoded) break;
        decoded = next;
      } catch {
        return false;
      }
      if (/[/\\\u0000]/.test(decoded)) return false;
    }
    if (decoded === "." || decoded === "..") return false;
  }
  return true;
}

/** The path of a URL or request target as written (before a URL parser resolves dot segments). */
function rawPath(target: string): string {
  const afterOrigin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  const path = afterOrigin ? target.slice(afterOrigin[0].length) : target;
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

export function invalid(message: string): Response {
  return failure({ code: "invalid-input", message });
}

/** Thrown inside a route to answer with this error; caught by the app's error handler. */
export class HttpError extends Error {
  constructor(readonly body: ApiError) {
    super(body.message);
  }
}

/**
 * The request body as JSON, at most `limit` bytes (checked on the declared
 * length and again while reading, since a chunked body declares none).
 */
export async function readJson(request: Request, limit: number): Promise<unknown> {
  const length = request.headers.get("content-length");
  const declared = length === null ? undefined : Number(length);
  if (declared !== undefined && declared > limit)
    throw new HttpError({ code: "payload-too-large", message: `the body is over ${limit} bytes` });
  // A declared length within the limit is read whole (the host enforces the length); a chunked body is counted as it comes.
  if (declared !== undefined) return parseJson(new Uint8Array(await request.arrayBuffer()));
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new HttpError({
          code: "payload-too-large",
          message: `the body is over ${limit} bytes`,
        });
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return parseJson(bytes);
}

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    // Drops a leading byte-order mark (ignoreBOM is false), as Windows tools write one.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError({ code: "invalid-input", message: "the body is not UTF-8 text" });
  }
  if (text.trim() === "")
    throw new HttpError({
      code: "invalid-input",
      message: "the body is empty; expected a JSON object",
    });
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH)
    throw new HttpError({
      code: "invalid-input",
      message: `the body nests deeper than ${MAX_JSON_DEPTH} levels`,
    });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError({
      code: "invalid-input",
      message: `the body is not JSON: ${(e as Error).message}`,
    });
  }
}

/**
 * Deepest nesting any API body may have: the deepest real one (a scenario's
 * directory settings) is under 10, and a deeper one would reach recursive
 * code (the core's parser, JSON.stringify) that a hostile depth exhausts.
 */
export const MAX_JSON_DEPTH = 32;

/** How deeply objects and arrays nest in JSON text (strings skipped), counted before anything parses it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return deepest;
}

/** A JSON object body, with each named field's type checked (others are refused, so typos don't pass silently). */
type Field = "string" | "object" | "array";
export function objectBody(
  body: unknown,
  fields: Record<string, Field | `${Field}?`>,
): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError({ code: "invalid-input", message: "expected a JSON object" });
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in fields))
      throw new HttpError({
        code: "invalid-input",
        message: `unknown field \`${key}\`; expected ${Object.keys(fields).join(", ")}`,
      });
  }
  for (const [key, kind] of Object.entries(fields)) {
    const optional = kind.endsWith("?");
    const want = optional ? kind.slice(0, -1) : kind;
    const value = record[key];
    if (value === undefined) {
      if (!optional)
        throw new HttpError({ code: "invalid-input", message: `missing field \`${key}\`` });
      continue;
    }
    const ok =
      want === "array"
        ? Array.isArray(value)
        : want === "object"
          ? value !== null && typeof value === "object" && !Array.isArray(value)
          : typeof value === want;
    if (!ok)
      throw new HttpError({
        code: "invalid-input",
        message: `\`${key}\`: expected ${want === "object" ? "an object" : want === "array" ? "an array" : "a string"}`,
      });
  }
  return record;
}
