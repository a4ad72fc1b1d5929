// Vendor keys and licence signing for Node (the `seatcap licence` CLI and
// the demo server): Ed25519 through node:crypto. Verification is the Rust
// core's (`verifyLicence`), so a file signed here is checked by a second,
// independent implementation.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { licenceMessage, parseTime } from "./core.js";

export interface VendorKey {
  /** PKCS#8 PEM: keep it secret. */
  privatePem: string;
  /** The public key as servers are configured with it (`--licence-key`): 64 hex digits. */
  publicHex: string;
}

export function generateVendorKey(): VendorKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  const privatePem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  return { privatePem, publicHex: publicKeyHex(privatePem) };
}

/** The hex public key of a PEM private (or public) Ed25519 key. */
export function publicKeyHex(pem: string): string {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== "ed25519")
    throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? "a symmetric key"}`);
  return Buffer.from(key.export({ format: "jwk" }).x!, "base64url").toString("hex");
}

export interface SignOptions {
  /** The licence's issue number (default: the file's, else `issued` in whole seconds since 1970, so later licences rank higher). */
  serial?: number;
  /** When it is issued, ISO-8601 (default: the file's, else now to the second). */
  issued?: string;
  /** The clock for the default `issued` (ms). */
  now?: () => number;
}

/**
 * The licence file signed: the licence's fields as given plus `serial`, `issued` and
 * `signature: {key, value}` over the core's canonical message (any earlier signature is
 * replaced). A trusting server refuses a licence older than the one in force (SECURITY:
 * rollback), so every licence it gets carries both.
 */
export function signLicence(
  file: string | object,
  privatePem: string,
  options: SignOptions = {},
): object {
  const body = (typeof file === "string" ? JSON.parse(file) : structuredClone(file)) as Record<
    string,
    unknown
  >;
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new Error("a licence file is a JSON object");
  delete body.signature;
  if (
    options.serial !== undefined &&
    !(Number.isSafeInteger(options.serial) && options.serial >= 0)
  )
    throw new Error("serial: expected a whole number ≥ 0");
  const issued =
    options.issued ??
    (typeof body.issued === "string"
      ? body.issued
      : new Date(options.now?.() ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, "Z"));
  body.issued = issued;
  if (options.serial !== undefined) body.serial = options.serial;
  else if (body.serial === undefined) {
    const ms = parseTime(issued);
    if (Number.isNaN(ms)) throw new Error(`issued: \`${issued}\` is not an ISO-8601 time`);
    body.serial = Math.max(0, Math.floor(ms / 1000));
  }
  const message = licenceMessage(body);
  if (message.type === "failure") throw new Error(message.error.message);
  const key = createPrivateKey(privatePem);
  const value = sign(null, Buffer.from(message.message, "utf8"), key).toString("hex");
  return { ...body, signature: { key: publicKeyHex(privatePem), value } };
}
