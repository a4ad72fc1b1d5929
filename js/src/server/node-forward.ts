// Forwarding for the Node host on undici's dispatcher (not fetch: fetch
// decodes compressed bodies, and a proxy must hand them on byte for byte).
// undici pools connections and notices servers that close them; whether
// connections to the mail server are reused at all is the operator's choice:
// SOGo, for one, closes each connection after its response without saying
// `Connection: close`, and a reused socket then fails mid-request, so the
// default opens a fresh connection per request (issue 12, item 1).
import { Readable } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import { setRawHead, type Forward } from "./gateway.js";

export interface NodeForwardOptions {
  /** Keep idle upstream connections this long for reuse (ms); 0 (default): a fresh connection per request. */
  keepAliveMs?: number;
  /** Connections to the mail server at most (default 256). */
  connections?: number;
  /**
   * How long the mail server may stay silent (ms) — before its status line, and between body
   * chunks — before the request is given up (default 3,660 s: an ActiveSync Ping may hold for
   * 3,540 s, and servers' push guides put a 3,600 s proxy timeout behind it).
   */
  idleTimeoutMs?: number;
  /** How long connecting may take (ms, default 10 s). */
  connectTimeoutMs?: number;
}

/** Statuses whose responses have no body. */
const EMPTY = new Set([101, 204, 205, 304]);
/** Per-connection headers: each hop sets its own (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "proxy-connection",
  "upgrade",
  "te",
  "trailer",
]);

export function nodeForward(
  options: NodeForwardOptions = {},
): Forward & { close(): Promise<void> } {
  const keepAliveMs = options.keepAliveMs ?? 0;
  const idle = options.idleTimeoutMs ?? 3_660_000;
  const agent = new Agent({
    connections: options.connections ?? 256,
    keepAliveTimeout: Math.max(keepAliveMs, 1),
    keepAliveMaxTimeout: Math.max(keepAliveMs, 1),
    headersTimeout: idle,
    bodyTimeout: idle,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
  });
  const forward: Forward = (request, target) =>
    new Promise<Response>((resolve, reject) => {
      const headers: string[] = [];
      // The client's Host goes on as it came (X-Forwarded-Host says it too).
      request.headers.forEach((value, name) => {
        headers.push(name, value);
      });
      const body = request.body
        ? Readable.fromWeb(request.body as import("node:stream/web").ReadableStream)
        : null;
      let settled = false;
      let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
      let control: Dispatcher.DispatchController | undefined;
      let cancelled: Error | undefined;
      const stop = (e: Error) => {
        cancelled ??= e;
        control?.abort(e);
      };
      const onAbort = () =>
        stop(
          request.signal.reason instanceof Error
            ? request.signal.reason
            : new Error("the client went away"),
        );
      if (request.signal.aborted)
        return reject(request.signal.reason ?? new Error("the client went away"));
      request.signal.addEventListener("abort", onAbort, { once: true });
      const done = () => request.signal.removeEventListener("abort", onAbort);
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(controller) {
          control = controller;
          if (cancelled) controller.abort(cancelled);
        },
        onResponseStart(controller, status, _headers, statusText) {
          // The head as it came: undici keeps the raw header list on the controller.
          const raw = ((controller as unknown as { rawHeaders?: Buffer[] | null }).rawHeaders ??
            []) as Buffer[];
          const rawHeaders: string[] = [];
          const out = new Headers();
          for (let i = 0; i + 1 < raw.length; i += 2) {
            const name = raw[i]!.toString("latin1");
            const value = raw[i + 1]!.toString("latin1");
            if (HOP_BY_HOP.has(name.toLowerCase())) continue;
            rawHeaders.push(name, value);
            out.append(name, value);
          }
          const noBody = EMPTY.has(status) || request.method === "HEAD";
          const responseBody = noBody
            ? null
            : new ReadableStream<Uint8Array>(
                {
                  start(c) {
                    stream = c;
                  },
                  // Backpressure: the socket is paused while the reader is behind, resumed when it pulls.
                  pull() {
                    control?.resume();
                  },
                  cancel() {
                    stop(new Error("the client went away"));
                  },
                },
                new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
              );
          const response = new Response(responseBody, {
            status,
            statusText: statusText ?? "",
            headers: out,
          });
          setRawHead(response, { statusText: statusText ?? "", rawHeaders });
          settled = true;
          resolve(response);
        },
        onResponseData(controller, chunk) {
          // undici hands an empty chunk on resume: queueing it would fill the queue and pause again, for ever.
          if (!stream || chunk.byteLength === 0) return;
          stream.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((stream.desiredSize ?? 1) <= 0) controller.pause();
        },
        onResponseEnd() {
          done();
          try {
            stream?.close();
          } catch {
            // Cancelled by the reader already.
          }
        },
        onResponseError(_controller, e) {
          done();
          if (!settled) {
            settled = true;
            reject(e);
            return;
          }
          try {
            stream?.error(e);
          } catch {
            // The body was already closed or cancelled.
          }
        },
      };
      agent.dispatch(
        {
          origin: target.origin,
          path: target.pathname + target.search,
          method: request.method as Dispatcher.HttpMethod,
          headers,
          body,
          // Without keep-alive every request says `Connection: close` and gets its own connection.
          reset: keepAliveMs === 0,
        },
        handler,
      );
    });
  // Requests still in flight (a Ping) are cut: their clients are gone with the server.
  return Object.assign(forward, { close: () => agent.destroy() });
}
