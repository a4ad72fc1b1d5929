// Forwarding for the Node host over node:http(s), not fetch: undici's fetch
// decodes compressed bodies, and a proxy must hand them on byte for byte.
import * as http from "node:http";
import * as https from "node:https";
import { Readable } from "node:stream";
import type { Forward } from "./gateway.js";

/** Statuses whose responses have no body. */
const EMPTY = new Set([101, 204, 205, 304]);

export function nodeForward(options: { timeoutMs?: number } = {}): Forward {
  return (request, target) =>
    new Promise<Response>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      request.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const agent = target.protocol === "https:" ? https : http;
      const outgoing = agent.request(target, { method: request.method, headers, timeout: options.timeoutMs ?? 120_000 }, (incoming) => {
        const out = new Headers();
        for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
          const name = incoming.rawHeaders[i]!;
          if (["transfer-encoding", "connection", "keep-alive"].includes(name.toLowerCase())) continue;
          out.append(name, incoming.rawHeaders[i + 1]!);
        }
        const status = incoming.statusCode ?? 502;
        const body = EMPTY.has(status) || request.method === "HEAD" ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>);
        if (body === null) incoming.resume();
        resolve(new Response(body, { status, statusText: incoming.statusMessage ?? "", headers: out }));
      });
      outgoing.on("timeout", () => outgoing.destroy(new Error("the upstream did not answer in time")));
      outgoing.on("error", reject);
      if (request.body) {
        Readable.fromWeb(request.body as import("node:stream/web").ReadableStream).on("error", (e) => outgoing.destroy(e)).pipe(outgoing);
      } else {
        outgoing.end();
      }
    });
}
