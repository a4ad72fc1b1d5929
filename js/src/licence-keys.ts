// Vendor keys and licence signing for Node (the `seatcap licence` CLI and
// the demo server): Ed25519 through node:crypto. Verification is the Rust
// core's (`verifyLicence`), so a file signed here is checked by a second,
// independent implementation.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { licenceMessage } from "./core.js";

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
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? "a symmetric key"}`);
  return Buffer.from(key.export({ format: "jwk" }).x!, "base64url").toString("hex");
}

/**
 * The licence file signed: the licence's fields as given plus `signature: {key, value}`
 * over the core's canonical message (any earlier signature is replaced).
 */
export function signLicence(file: string | object, privatePem: string): object {
  const body = (typeof file === "string" ? JSON.parse(file) : structuredClone(file)) as Record<string, unknown>;
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("a licence file is a JSON object");
  delete body.signature;
  const message = licenceMessage(body);
  if (message.type === "failure") throw new Error(message.error.message);
  const key = createPrivateKey(privatePem);
  const value = sign(null, Buffer.from(message.message, "utf8"), key).toString("hex");
  return { ...body, signature: { key: publicKeyHex(privatePem), value } };
}
