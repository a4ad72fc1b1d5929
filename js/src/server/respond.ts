// HTTP answers for the admin and decision APIs: every refusal is
// `{error: {code, message}}` with the SPEC error code and a status that
// says which kind of problem it is. Nothing here reads or writes state.
import type { ErrorBody } from "../types.js";

/** Codes of the HTTP layer, beside SPEC's: authentication, routing and size. */
export type HttpErrorCode = "unauthorized" | "forbidden" | "not-found" | "payload-too-large";

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
  conflict: 409,
  "payload-too-large": 413,
  "store-error": 503,
};

export function statusOf(code: ApiError["code"]): number {
  return STATUS[code] ?? 500;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function failure(error: ApiError, headers: Record<string, string> = {}): Response {
  return json({ error }, statusOf(error.code), headers);
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
  if (declared !== undefined && declared > limit) throw new HttpError({ code: "payload-too-large", message: `the body is over ${limit} bytes` });
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
        throw new HttpError({ code: "payload-too-large", message: `the body is over ${limit} bytes` });
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
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError({ code: "invalid-input", message: "the body is not UTF-8 text" });
  }
  if (text.trim() === "") throw new HttpError({ code: "invalid-input", message: "the body is empty; expected a JSON object" });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError({ code: "invalid-input", message: `the body is not JSON: ${(e as Error).message}` });
  }
}

/** A JSON object body, with each named field's type checked (others are refused, so typos don't pass silently). */
type Field = "string" | "object" | "array";
export function objectBody(body: unknown, fields: Record<string, Field | `${Field}?`>): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError({ code: "invalid-input", message: "expected a JSON object" });
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in fields)) throw new HttpError({ code: "invalid-input", message: `unknown field \`${key}\`; expected ${Object.keys(fields).join(", ")}` });
  }
  for (const [key, kind] of Object.entries(fields)) {
    const optional = kind.endsWith("?");
    const want = optional ? kind.slice(0, -1) : kind;
    const value = record[key];
    if (value === undefined) {
      if (!optional) throw new HttpError({ code: "invalid-input", message: `missing field \`${key}\`` });
      continue;
    }
    const ok =
      want === "array" ? Array.isArray(value) : want === "object" ? value !== null && typeof value === "object" && !Array.isArray(value) : typeof value === want;
    if (!ok) throw new HttpError({ code: "invalid-input", message: `\`${key}\`: expected ${want === "object" ? "an object" : want === "array" ? "an array" : "a string"}` });
  }
  return record;
}
