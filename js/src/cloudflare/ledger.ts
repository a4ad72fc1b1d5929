// The Durable Object that owns one licence's seat ledger: the only writer of
// its store, so every read–decide–commit happens in one place, one at a
// time, strongly consistent. It does no fetch(): Workers in front of it send
// each Engine call here (RPC), get the stored decision back, and only then
// talk to the mail server.
import { DurableObject } from "cloudflare:workers";
import { Engine } from "../workerd.js";
import { DurableObjectStore } from "./durable-store.js";
import { runEngineCall } from "../server/remote-engine.js";
import { parseConfig } from "../server/config.js";
import type { DurableObjectState } from "./workers.js";

export class SeatLedger extends DurableObject {
  readonly #engine: Engine;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#engine = new Engine(new DurableObjectStore(ctx.storage), { licence: licenceTrust(env) });
  }

  /** Runs one Engine call here (see `remoteEngine`). A name that is not an Engine call is refused. */
  async run(actor: string | undefined, call: string, args: unknown[]): Promise<unknown> {
    return runEngineCall(this.#engine, actor, call, args);
  }
}

/** The Worker's licence keys and dev mode (SEATCAP_LICENCE_KEYS, SEATCAP_DEV); a bad setting trusts no key (fail closed). */
function licenceTrust(env: unknown): { trustedKeys: string[]; devMode: boolean } {
  const strings: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env ?? {}))
    if (typeof value === "string") strings[name] = value;
  try {
    const config = parseConfig([], strings);
    return { trustedKeys: config.licenceKeys, devMode: config.dev };
  } catch {
    return { trustedKeys: [], devMode: false };
  }
}
