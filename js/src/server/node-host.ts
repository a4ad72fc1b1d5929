// What only the Node host does around the shared handler: who the caller is
// (its `--trust-proxy` rule, with proxy-addr), HTTPS with a certificate that
// SIGHUP reloads, and writing the mail server's response head as it came
// (status text, header names and order), which a fetch `Response` loses.
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { Readable } from "node:stream";
import proxyaddr from "proxy-addr";
import { rawHeadOf, type ClientInfo } from "./gateway.js";

export type Trust = (address: string, hop: number) => boolean;

/** A proxy-addr trust function from `--trust-proxy` entries; no entries: nobody is trusted. */
export function trustOf(entries: string[]): Trust {
  if (entries.length === 0) return () => false;
  return proxyaddr.compile(entries);
}

/**
 * The caller as seen through trusted proxies: the first untrusted address of the chain, the
 * `X-Forwarded-For` entries those proxies added (a caller's own entries are dropped), and the
 * scheme and host a trusted proxy reports; from anyone else, only the socket's own facts.
 */
export function clientInfo(incoming: IncomingMessage, trust: Trust, secure: boolean): ClientInfo {
  const peer = incoming.socket.remoteAddress;
  const own: ClientInfo = {
    ...(peer === undefined ? {} : { address: peer }),
    proto: secure ? "https" : "http",
  };
  if (peer === undefined || !trust(peer, 0)) return own;
  const chain = proxyaddr.all(incoming, trust);
  const sent = headerValues(incoming.headers["x-forwarded-for"]);
  const kept = chain.length > 1 ? sent.slice(-(chain.length - 1)) : [];
  const proto = headerValues(incoming.headers["x-forwarded-proto"])[0]?.toLowerCase();
  const host = headerValues(incoming.headers["x-forwarded-host"])[0];
  return {
    address: chain[chain.length - 1] ?? peer,
    forwardedFor: [...kept, peer].join(", "),
    proto: proto === "https" || proto === "http" ? proto : own.proto!,
    ...(host ? { host } : {}),
  };
}

function headerValues(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(",") : (value ?? "");
  return joined
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Writes a gateway response carrying the upstream's raw head straight to Node's response: the
 * status text and header names in the order the mail server sent them (hop-by-hop headers were
 * already dropped, and Node adds its own `Connection`/`Keep-Alive`/`Transfer-Encoding`; `Date` is
 * the upstream's). Answers false for any other response, which @hono/node-server writes.
 */
export function writeRaw(response: Response, outgoing: ServerResponse): boolean {
  const head = rawHeadOf(response);
  if (!head) return false;
  outgoing.sendDate = !head.rawHeaders.some(
    (_, i) => i % 2 === 0 && head.rawHeaders[i]!.toLowerCase() === "date",
  );
  outgoing.writeHead(response.status, head.statusText, head.rawHeaders);
  if (!response.body) {
    outgoing.end();
    return true;
  }
  const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
  // A client that goes away cancels the upstream request (the body's cancel aborts it).
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) body.destroy();
  });
  body.on("error", () => outgoing.destroy());
  body.pipe(outgoing);
  return true;
}

/** The PEM certificate chain and key, read now. */
export function readTls(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
}

/** Reloads the certificate and key on SIGHUP; a file that can't be read keeps the old pair. */
export function reloadOnHangup(
  server: HttpsServer,
  tls: { cert: string; key: string },
  say: (line: string) => void,
): () => void {
  const reload = () => {
    try {
      server.setSecureContext(readTls(tls));
      say(`seatcap serve: TLS certificate reloaded from ${tls.cert}`);
    } catch (e) {
      say(
        `seatcap serve: TLS certificate not reloaded (${(e as Error).message}); the old one stays`,
      );
    }
  };
  process.on("SIGHUP", reload);
  return () => process.off("SIGHUP", reload);
}

export type { IncomingMessage };
