// Load for the resilience tests: a scenario with more accounts than seats,
// seeded straight into a store, and clients that keep asking a running
// `seatcap serve` (POST /v1/decide, some through the ActiveSync gateway)
// until told to stop, recording every answer with when it came.
import { Engine } from "../../dist/node.mjs";
import { basic, raw } from "./server-helpers.mjs";

export const TOKEN = "resilience-admin-token-0123456789";
export const SEATS = 40;
export const ACCOUNTS = Array.from({ length: 60 }, (_, i) => `u${i + 1}@x.com`);
/** Accounts only admin writes touch (crash tests), never connected. */
export const MANAGED = Array.from({ length: 6 }, (_, i) => `m${i + 1}@y.com`);

export function scenario() {
  return {
    licence: { mailboxes: null, features: { activesync: { seats: SEATS } } },
    directory: {
      server: { activesync: "disabled" },
      domains: {
        "x.com": { settings: { activesync: "enabled" } },
        "y.com": { settings: { activesync: "disabled" } },
      },
      accounts: [...ACCOUNTS, ...MANAGED].map((id) => ({ id })),
    },
  };
}

/** Seeds `store` (empty) with `scenario()`. */
export async function seed(store) {
  const done = await new Engine(store).importScenario(scenario());
  if (!done.ok) throw new Error(`seeding failed: ${JSON.stringify(done.error)}`);
}

/**
 * `clients` loops of requests against `base` until `stop()`; every `gatewayEvery`-th request of a
 * client goes through the gateway instead of /v1/decide. Answers: `{kind, account, status, code,
 * allowed, reason, start, end}` (`status` 0: no HTTP answer, e.g. the server was killed).
 */
export function startLoad(
  base,
  {
    clients = 16,
    accounts = ACCOUNTS,
    gatewayEvery = Number(process.env.SEATCAP_RESILIENCE_GATEWAY_EVERY) || 4,
    seed: s = 1,
  } = {},
) {
  const results = [];
  let running = true;
  let x = s >>> 0 || 1;
  const random = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const one = async (kind, account) => {
    const start = Date.now();
    const entry = { kind, account, start, status: 0 };
    try {
      if (kind === "decide") {
        const res = await fetch(new URL("/v1/decide", base), {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ account, feature: "activesync" }),
          signal: AbortSignal.timeout(20_000),
        });
        const body = await res.json().catch(() => ({}));
        Object.assign(entry, {
          status: res.status,
          code: body.error?.code,
          allowed: body.allowed,
          reason: body.reason,
        });
      } else {
        // node:http, so the mail server's gzip body passes undecoded, as a client's would.
        const res = await raw(new URL("/Microsoft-Server-ActiveSync?Cmd=Ping", base), {
          method: "POST",
          headers: {
            authorization: basic(account),
            "content-type": "application/vnd.ms-sync.wbxml",
          },
          body: Buffer.from("ping"),
        });
        const reason = res.headers["x-seatcap-reason"];
        Object.assign(entry, {
          status: res.status,
          code: res.status === 503 ? reason : undefined,
          reason,
          allowed: res.status < 300,
        });
      }
    } catch (e) {
      entry.error = e.cause?.code ?? e.code ?? e.name;
    }
    entry.end = Date.now();
    results.push(entry);
    return entry;
  };
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let n = 0; running; n++) {
      const account = accounts[Math.floor(random() * accounts.length)];
      const answer = await one(
        n % gatewayEvery === gatewayEvery - 1 ? "gateway" : "decide",
        account,
      );
      // A server that is gone answers at once: don't spin.
      if (answer.status === 0 || answer.status >= 500)
        await new Promise((r) => setTimeout(r, 20 + c));
    }
  });
  return {
    results,
    gatewayEvery,
    /** Answers that came after `t`. */
    since: (t) => results.filter((r) => r.start >= t),
    async stop() {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}

/** Resolves once `check()` is true (polled every 25 ms), or rejects after `ms`. */
export async function until(check, ms, what) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every account some answer said was granted a seat (decide's `allowed`, or a gateway request forwarded). */
export function granted(results) {
  return new Set(
    results.filter((r) => r.status >= 200 && r.status < 300 && r.allowed).map((r) => r.account),
  );
}
