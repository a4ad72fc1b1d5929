// An Engine whose calls run somewhere else: each call is one message to the
// place that owns the store (a Durable Object), where the whole
// read–decide–commit happens next to the data. The edge server's handler
// takes it as it takes a local Engine.
import { ENGINE_CALLS, type EngineApi, type EngineCall } from "../engine-calls.js";

/** Sends one Engine call, for `actor` (the change log's "who"; `undefined`: not logged), and answers its result. */
export type EngineTransport = (
  actor: string | undefined,
  call: EngineCall,
  args: unknown[],
) => Promise<unknown>;

export function remoteEngine(send: EngineTransport, actor?: string): EngineApi {
  const api: Record<string, unknown> = { by: (who: string) => remoteEngine(send, who) };
  for (const call of ENGINE_CALLS) {
    // Trailing `undefined`s are dropped: they mean "not given", which a message can't say otherwise.
    api[call] = (...args: unknown[]) => {
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      return send(actor, call, args);
    };
  }
  return api as unknown as EngineApi;
}

/** What `runEngineCall` needs of an Engine: its calls, and `by` for an actor's view. */
export type EngineLike = EngineApi & { by(actor: string): EngineApi };

/**
 * The other end of `remoteEngine`: runs one call a message carried, after checking its shape (a
 * name that is not an Engine call, a non-string actor or non-array arguments throw `TypeError`).
 */
export function runEngineCall(
  engine: EngineLike,
  actor: unknown,
  call: unknown,
  args: unknown,
): Promise<unknown> {
  if (!isEngineCall(call)) throw new TypeError(`\`${String(call)}\` is not an Engine call`);
  if (actor !== undefined && typeof actor !== "string")
    throw new TypeError("the actor is a string");
  if (!Array.isArray(args)) throw new TypeError("the arguments are an array");
  const target = actor === undefined ? engine : engine.by(actor);
  return (target[call] as (...a: unknown[]) => Promise<unknown>)(...args);
}

/** Whether `name` is an Engine call a remote caller may make (everything else is refused). */
export function isEngineCall(name: unknown): name is EngineCall {
  return typeof name === "string" && (ENGINE_CALLS as readonly string[]).includes(name);
}
