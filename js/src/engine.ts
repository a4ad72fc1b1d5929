// The engine over a host's store: each call is one request that reads what
// the Rust core asks for, lets it decide, and commits its writes atomically,
// guarded by the versions it read (SPEC "Storage callbacks", R14). The core
// is sans-I/O (src/attempt.rs); this file owns the I/O, retries and errors.
import { wasm } from "./core.js";
import * as args from "./engine-args.js";
import { compareKeys, type Store } from "./store.js";
import type {
  AccountSummary,
  AccountView,
  Audit,
  DirectoryView,
  LicenceView,
  LogEntry,
  Decision,
  ErrorBody,
  Explanation,
  FeatureSeats,
  Licence,
  Scenario,
  Setting,
  AccountType,
  Failure,
} from "./types.js";

/** When a request happens: milliseconds since 1970, a Date, or ISO-8601 text. */
export type Time = number | Date | string;

export interface EngineOptions {
  /** Tries of a request that keeps losing races before it answers `conflict` (default 30). */
  tries?: number;
  /** Milliseconds to wait before try `n + 2` (default: random up to 2^n ms, at most 100). */
  backoff?: (n: number) => number;
  /** The time of a request that names none (default `Date.now`). The engine reads no clock itself. */
  now?: () => number;
  /** Entries per `list` call when the engine reads a range (default 1000). */
  listPage?: number;
  /**
   * Who asks, for the change log: when set (here or through `by()`), every change also writes a
   * log entry in its own commit (see `log()`). Unset: nothing is logged.
   */
  actor?: string;
  /** Makes a change-log entry's unique id (default `crypto.randomUUID()`; 1–64 of `A-Za-z0-9-_`). */
  newId?: () => string;
  /**
   * The store trusts only vendor-signed licences: every way a licence enters it (`uploadLicence`,
   * `setLicence`, licence events in `apply`/`replay`, `importScenario`) is verified by the Rust
   * core, and a licence older than the one in force (lower `serial`, earlier `issued`) or
   * already expired is refused unless forced. Unset (a library, the what-if simulator): any
   * licence is taken as given, as SPEC's `licence` event says.
   */
  licence?: LicenceTrust;
}

export interface LicenceTrust {
  /** Vendor public keys (Ed25519, 64 hex) whose signatures are accepted. */
  trustedKeys: string[];
  /** Dev mode: also accept a licence with no signature (a bad signature is refused always). */
  devMode?: boolean;
}

export interface LicenceUploadOptions {
  /** Vendor public keys (Ed25519, 64 hex) whose signatures are accepted; ignored when the Engine has `licence` trust. */
  trustedKeys?: string[];
  /** Dev mode: accept a licence file with no signature; ignored when the Engine has `licence` trust. */
  allowUnsigned?: boolean;
  /** Install it even if it is older than the licence in force or expired (an administrator's choice; logged). */
  force?: boolean;
}

/** What one Engine and its `by()` views share: the store, the retry lane and the options. */
interface Shared {
  store: Store;
  tries: number;
  backoff: (n: number) => number;
  now: () => number;
  page: number;
  newId: () => string;
  trust: LicenceTrust | undefined;
  /** Retries after a lost race run here one at a time (see #run). */
  lane: Promise<void>;
}

/** A connect the engine could not decide (the store failed or every try lost a race): access is denied. */
export interface ConnectFailure {
  allowed: false;
  error: ErrorBody;
}
export type ConnectResult = Decision | ConnectFailure;

/** An administrative write: applied, or refused with nothing changed. */
export type WriteResult = { ok: true } | { ok: false; error: ErrorBody };

export type Read<K extends string, T> = ({ type: "success" } & { [k in K]: T }) | Failure;

export interface CappedAccount {
  account: string;
  /** When the cap wrote `disabled` (R5). */
  at: string;
}
export interface Page<T> {
  items: T[];
  /** The cursor of the next page (`after`; for `waitlist`, the next `offset`); `null` on the last page. A full page may be followed by an empty one. */
  next: string | null;
}

export interface CreateOptions {
  type?: AccountType;
  class?: string;
  settings?: Record<string, Setting>;
}

/** What src/attempt.rs answers, before it is shaped per method. */
type Answer =
  | { kind: "decision"; value: Decision }
  | { kind: "pending"; value: Decision }
  | { kind: "done" }
  | { kind: "refused"; value: ErrorBody }
  | { kind: "account"; value: AccountView }
  | { kind: "seats"; value: FeatureSeats }
  | { kind: "waitlist"; value: string[] }
  | { kind: "limit"; value: number | null }
  | { kind: "explanation"; value: Explanation }
  | { kind: "scenario"; value: Scenario }
  | { kind: "audit"; value: Audit }
  | { kind: "directory"; value: DirectoryView }
  | { kind: "licence"; value: LicenceView };

type Step =
  | { step: "load"; keys: string[]; lists: string[] }
  | { step: "commit"; commit: Parameters<Store["commit"]>[0]; answer: Answer }
  | { step: "answer"; answer: Answer };

/** A commit the store refused: some key changed since it was read. */
const LOST = Symbol("lost");
/** Lost races after which a request's tries hold other writers off (Store.exclusive). */
const EXCLUSIVE_AFTER = 2;

/** One try of one request (the wasm `Attempt`). */
export interface AttemptHandle {
  /** When the operation happens (ms): the event's own `at` or the host's time. */
  readonly at: number;
  /** The next step as JSON text (see src/attempt.rs). */
  step(loads?: unknown): string;
  /** Trust only licences signed by these keys (or unsigned ones, with `allowUnsigned`); before the first step. */
  trust(trustedKeys: string[], allowUnsigned: boolean): void;
  free(): void;
}

export class Engine {
  #shared: Shared;
  #actor: string | undefined;

  constructor(store: Store, options: EngineOptions = {}) {
    const trust = options.licence === undefined ? undefined : checkedTrust(options.licence);
    this.#shared = {
      store,
      // Sized for 4 processes × 16 clients on one ledger (tests/js/concurrency.test.mjs): full jitter, at most ~2.3 s in all.
      tries: Math.max(1, options.tries ?? 30),
      backoff: options.backoff ?? ((n) => Math.random() * Math.min(2 ** n, 100)),
      now: options.now ?? Date.now,
      page: Math.max(1, options.listPage ?? 1000),
      newId: options.newId ?? (() => crypto.randomUUID()),
      trust,
      lane: Promise.resolve(),
    };
    this.#actor = options.actor;
  }

  /** This engine acting for `actor`: its changes are logged under that name. Shares the store and retry lane. */
  by(actor: string): Engine {
    if (typeof actor !== "string") throw new TypeError("by(actor): the actor is a string");
    const view = new Engine(this.#shared.store);
    view.#shared = this.#shared;
    view.#actor = actor;
    return view;
  }

  get #store(): Store {
    return this.#shared.store;
  }

  /** The change-log context of one request (the same id for each of its tries), if logging. */
  #context(): [string, string] | [] {
    return this.#actor === undefined ? [] : [this.#actor, this.#shared.newId()];
  }

  /** The hot path: may `account` use `feature` now? (R2–R5, R12) */
  connect(account: string, feature: string, at?: Time): Promise<ConnectResult> {
    return this.#checked(deniedConnect, async () => {
      // ISO text is parsed by the core, inside an event; otherwise the JSON-free entry.
      const answer =
        typeof at === "string"
          ? await this.#event(
              {
                op: "connect",
                account: args.text("account", account),
                feature: args.text("feature", feature),
              },
              at,
            )
          : await this.#connect(
              args.text("account", account),
              args.text("feature", feature),
              this.#millis(at),
            );
      if (answer.kind === "decision") return answer.value;
      return { allowed: false, error: refusal(answer) };
    });
  }

  /**
   * A connect that goes ahead only if it takes nothing new: a holder's connect (R3, its
   * `lastSeen` updated) or a denial that writes nothing. One that would claim a seat (R4),
   * cap the account (R5) or waitlist it (R12) answers `{ pending: decision }` and writes
   * nothing, so a gateway can check the caller's credentials before calling `connect`.
   */
  tryConnect(
    account: string,
    feature: string,
    at?: Time,
  ): Promise<ConnectResult | { pending: Decision }> {
    return this.#heldBack("tryConnect", account, feature, at);
  }

  /**
   * What `connect` would decide now, writing nothing — not even a holder's `lastSeen`. One that
   * would claim, cap or waitlist answers `{ pending: decision }`. The gateway peeks before it
   * forwards, and applies R3's `lastSeen` with `tryConnect` only once the mail server accepted
   * the caller's credentials.
   */
  peekConnect(
    account: string,
    feature: string,
    at?: Time,
  ): Promise<ConnectResult | { pending: Decision }> {
    return this.#heldBack("peekConnect", account, feature, at);
  }

  /** A connect whose claim, cap or waitlisting is held back (`pending`); `peekConnect` also holds back R3's `lastSeen`. */
  #heldBack(
    entry: "tryConnect" | "peekConnect",
    account: string,
    feature: string,
    at?: Time,
  ): Promise<ConnectResult | { pending: Decision }> {
    return this.#checked<ConnectResult | { pending: Decision }>(deniedConnect, async () => {
      const [who, what, when] = [
        args.text("account", account),
        args.text("feature", feature),
        this.#millis(at),
      ];
      const answer = await this.#run(() => wasm().Attempt[entry](who, what, when));
      if (answer.kind === "pending") return { pending: answer.value };
      if (answer.kind === "decision") return answer.value;
      return { allowed: false, error: refusal(answer) };
    });
  }

  #connect(account: string, feature: string, at: number): Promise<Answer> {
    const [actor, id] = this.#context();
    return this.#run(() => wasm().Attempt.connect(account, feature, at, actor, id));
  }

  /** Sets a feature at `server`, `domain:<d>`, `class:<d>/<c>` or `account:<id>` (R6–R8). */
  set(node: string, feature: string, value: Setting, at?: Time): Promise<WriteResult> {
    return this.#op({ op: "set", node, feature, value }, at);
  }

  /** A new domain with optional settings (not a SPEC event: an extension op, `create-domain`). */
  createDomain(
    domain: string,
    settings: Record<string, Setting> = {},
    at?: Time,
  ): Promise<WriteResult> {
    return this.#op({ op: "create-domain", domain, settings }, at);
  }

  /** A new account class of a domain (`create-class`). */
  createClass(
    domain: string,
    className: string,
    settings: Record<string, Setting> = {},
    at?: Time,
  ): Promise<WriteResult> {
    return this.#op({ op: "create-class", domain, class: className, settings }, at);
  }

  /**
   * Replaces the licence from a vendor-signed licence file, verified by the Rust core
   * (`invalid-input` unless signed by a trusted key, or unsigned with `allowUnsigned`).
   */
  uploadLicence(
    file: string | object,
    options: LicenceUploadOptions = {},
    at?: Time,
  ): Promise<WriteResult> {
    return this.#checked(refusedWrite, async () => {
      const text = args.jsonText("file", file);
      const given = args.options("options", options);
      const force = args.optionalFlag("options.force", given.force);
      // The Engine's own trust wins: a caller can't loosen what the store accepts.
      const trust = this.#shared.trust ?? {
        trustedKeys:
          given.trustedKeys === undefined
            ? []
            : args.keyList("options.trustedKeys", given.trustedKeys),
        devMode: args.optionalFlag("options.allowUnsigned", given.allowUnsigned),
      };
      const [actor, id] = this.#context();
      const when = this.#millis(at);
      const answer = await this.#run(() =>
        wasm().Attempt.uploadLicence(
          text,
          trust.trustedKeys,
          trust.devMode ?? false,
          force,
          when,
          actor,
          id,
        ),
      );
      return answer.kind === "done" ? { ok: true } : { ok: false, error: refusal(answer) };
    });
  }

  /** Replaces the licence (R10; R12 grants when it grows); `force` as in `uploadLicence`. */
  setLicence(licence: Licence, at?: Time, options: { force?: boolean } = {}): Promise<WriteResult> {
    return this.#checked(refusedWrite, () => {
      const force = args.optionalFlag("options.force", args.options("options", options).force);
      return this.#op({ op: "licence", licence, ...(force ? { force } : {}) }, at);
    });
  }

  createAccount(account: string, options: CreateOptions = {}, at?: Time): Promise<WriteResult> {
    return this.#op({ op: "create", account, ...options }, at);
  }

  deleteAccount(account: string, at?: Time): Promise<WriteResult> {
    return this.#op({ op: "delete", account }, at);
  }

  setType(account: string, type: AccountType, at?: Time): Promise<WriteResult> {
    return this.#op({ op: "set-type", account, type }, at);
  }

  /** R11: every capped account of `feature` back to `inherit`. */
  restoreCapped(feature: string, at?: Time): Promise<WriteResult> {
    return this.#op({ op: "restore-capped", feature }, at);
  }

  /** Applies one SPEC scenario event; its own `at` wins over `at` here. */
  apply(event: object | string, at?: Time): Promise<ConnectResult | WriteResult> {
    return this.#checked(refusedWrite, async () => {
      const text = args.jsonText("event", event);
      const [actor, id] = this.#context();
      const when = this.#millis(at);
      return shapeEvent(
        await this.#run(() => this.#admitting(wasm().Attempt.event(text, when, actor, id))),
        text,
      );
    });
  }

  /**
   * Applies SPEC scenario events in order, timed as a scenario's are: an
   * event without `at` happens one second after the previous one, the first
   * at `options.start` (default: now). Runs a what-if's events for real.
   */
  async replay(
    events: (object | string)[],
    options: { start?: Time } = {},
  ): Promise<(ConnectResult | WriteResult)[]> {
    // Never rejects: a bad argument is answered as `invalid-input` outcomes, nothing written.
    let next: number;
    try {
      if (!Array.isArray(events)) throw new args.ArgumentError("events: expected an array");
      next = this.#millis(args.options("options", options).start, "start");
      // A bad start refuses the whole batch, not only the events that would have used it.
      if (!wasm().isHostTime(next))
        throw new args.ArgumentError(
          `start: not a time from 1970 to 9999 (\`${String(options.start)}\`)`,
        );
    } catch (e) {
      const error = args.problemOf(e);
      return Array.isArray(events) && events.length > 0
        ? events.map((ev) => shapeEventError(error, ev))
        : [{ ok: false, error }];
    }
    const results = [];
    for (const event of events) {
      let text: string;
      try {
        text = args.jsonText("event", event);
      } catch (e) {
        results.push(shapeEventError(args.problemOf(e), event));
        next += 1000;
        continue;
      }
      let at = next;
      const [actor, id] = this.#context();
      const answer = await this.#run(() => {
        const attempt = this.#admitting(wasm().Attempt.event(text, next, actor, id));
        at = attempt.at;
        return attempt;
      });
      next = at + 1000;
      results.push(shapeEvent(answer, text));
    }
    return results;
  }

  /** What a connect would get now, and why, without writing anything. */
  explain(account: string, feature: string, at?: Time): Promise<Read<"explanation", Explanation>> {
    return this.#checked(failedRead, async () =>
      read<"explanation", Explanation>(
        await this.#query(
          "explain",
          args.text("account", account),
          args.text("feature", feature),
          at,
        ),
        "explanation",
      ),
    );
  }

  /** An account with its settings, effective values, sources, seats and waitlist places. */
  account(account: string): Promise<Read<"account", AccountView>> {
    return this.#checked(failedRead, async () =>
      read<"account", AccountView>(
        await this.#query("account", args.text("account", account), undefined),
        "account",
      ),
    );
  }

  /** A feature's ledger: holders in claim order, limit, free seats. */
  seats(feature: string): Promise<Read<"seats", FeatureSeats>> {
    return this.#checked(failedRead, async () =>
      read<"seats", FeatureSeats>(
        await this.#query("seats", undefined, args.text("feature", feature)),
        "seats",
      ),
    );
  }

  /** Accounts the cap disabled for `feature`, in id order, a page at a time; with `domain`, only its accounts. */
  capped(
    feature: string,
    page: { after?: string; limit?: number; domain?: string } = {},
  ): Promise<Read<"page", Page<CappedAccount>>> {
    return this.#checked(failedRead, async () => {
      const { after, limit, suffix } = pageArgs(page, 10_000);
      // The core checks the name and the licence (reading only `licence`) before the range is listed.
      const checked = read<"limit", number | null>(
        await this.#query("limit", undefined, args.text("feature", feature)),
        "limit",
      );
      if (checked.type === "failure") return checked;
      return this.#pageOf(`capped/${feature}/`, after, limit, (account, value) =>
        suffix !== undefined && !account.endsWith(suffix)
          ? undefined
          : { account, at: (JSON.parse(value) as { at: string }).at },
      );
    });
  }

  /** Accounts waiting for `feature` in arrival order (R12), a page at a time; with `domain`, only its accounts. */
  waitlist(
    feature: string,
    page: { offset?: number; limit?: number; domain?: string } = {},
  ): Promise<Read<"page", Page<string>>> {
    return this.#checked(failedRead, async () => {
      const given = args.options("page", page);
      const { limit, suffix } = pageArgs(
        { limit: given.limit, domain: given.domain },
        Number.MAX_SAFE_INTEGER,
      );
      const offset = Math.max(0, args.optionalCount("page.offset", given.offset) ?? 0);
      const result = read<"waitlist", string[]>(
        await this.#query("waitlist", undefined, args.text("feature", feature)),
        "waitlist",
      );
      if (result.type === "failure") return result;
      const all =
        suffix === undefined
          ? result.waitlist
          : result.waitlist.filter((id) => id.endsWith(suffix));
      const items = all.slice(offset, offset + limit);
      return {
        type: "success",
        page: { items, next: offset + limit < all.length ? String(offset + limit) : null },
      };
    });
  }

  /** The server's, every domain's and every class's settings (no accounts: see `accounts()`). */
  directory(): Promise<Read<"directory", DirectoryView>> {
    return this.#checked(failedRead, async () =>
      read<"directory", DirectoryView>(
        await this.#query("directory", undefined, undefined),
        "directory",
      ),
    );
  }

  /** The licence in force, the policy, and the vendor key that signed the licence (`signedBy`). */
  licence(): Promise<Read<"licence", LicenceView>> {
    return this.#checked(failedRead, async () =>
      read<"licence", LicenceView>(await this.#query("licence", undefined, undefined), "licence"),
    );
  }

  /**
   * Accounts in id order, a page at a time, optionally of one domain: their stored type, class,
   * settings and capped markers. `account(id)` resolves effective values and seats.
   */
  accounts(
    page: { domain?: string; after?: string; limit?: number } = {},
  ): Promise<Read<"page", Page<AccountSummary>>> {
    return this.#checked(failedRead, () => {
      const { after, limit, suffix } = pageArgs(page, 10_000);
      return this.#pageOf("account/", after, limit, (id, value) => {
        if (suffix !== undefined && !id.endsWith(suffix)) return undefined;
        const rec = JSON.parse(value) as {
          type: AccountSummary["type"];
          class?: string;
          settings?: AccountSummary["settings"];
          capped?: AccountSummary["capped"];
        };
        return {
          id,
          type: rec.type,
          class: rec.class ?? null,
          settings: rec.settings ?? {},
          capped: rec.capped ?? {},
        };
      });
    });
  }

  /**
   * The change log, oldest first, a page at a time; with `domain`, only entries that touched it.
   * Entries are written only by engines with an actor (`options.actor` or `by()`).
   */
  log(
    page: { domain?: string; after?: string; limit?: number } = {},
  ): Promise<Read<"page", Page<LogEntry>>> {
    return this.#checked(failedRead, () => {
      const { after, limit, domain } = pageArgs(page, 10_000);
      return this.#pageOf("log/", after, limit, (_, value) => {
        const entry = JSON.parse(value) as LogEntry;
        return domain === undefined || entry.domains.includes(domain) ? entry : undefined;
      });
    });
  }

  /**
   * Up to `limit` items under `prefix` after the cursor, keeping those `pick` answers; reads
   * further store pages while a filter drops entries. The cursor is the key after the prefix.
   */
  async #pageOf<T>(
    prefix: string,
    after: string | undefined,
    limit: number,
    pick: (name: string, value: string) => T | undefined,
  ): Promise<Read<"page", Page<T>>> {
    const items: T[] = [];
    let cursor = after === undefined ? undefined : prefix + after;
    try {
      for (;;) {
        const entries = await this.#store.list(prefix, cursor, limit);
        for (const e of entries) {
          cursor = e.key;
          const item = pick(e.key.slice(prefix.length), e.value);
          if (item !== undefined) items.push(item);
          if (items.length === limit)
            return { type: "success", page: { items, next: cursor.slice(prefix.length) } };
        }
        if (entries.length < limit) return { type: "success", page: { items, next: null } };
      }
    } catch (e) {
      return { type: "failure", error: storeError(e) };
    }
  }

  /** Live state as a SPEC scenario with recorded state: the what-if simulator starts from it exactly. */
  exportScenario(): Promise<Read<"scenario", Scenario>> {
    return this.#checked(failedRead, async () =>
      read<"scenario", Scenario>(await this.#query("export", undefined, undefined), "scenario"),
    );
  }

  /**
   * Lays a scenario's directory and recorded state into the store (no events),
   * in one commit. Refuses a store that holds anything unless `replace`, which deletes what is
   * there without needing to read it (so it repairs a store holding an unreadable record). On a
   * trusting Engine (`licence`) the scenario's licence must pass as `uploadLicence`'s does; `force` as there.
   */
  importScenario(
    scenario: Scenario | string,
    options: { replace?: boolean; force?: boolean; at?: Time } = {},
  ): Promise<WriteResult> {
    return this.#checked(refusedWrite, async () => {
      const given = args.options("options", options);
      const text = args.jsonText("scenario", scenario);
      const replace = args.optionalFlag("options.replace", given.replace);
      const force = args.optionalFlag("options.force", given.force);
      const [actor, id] = this.#context();
      const when = this.#millis(given.at, "options.at");
      const answer = await this.#run(() =>
        this.#admitting(wasm().Attempt.importState(text, replace, force, when, actor, id)),
      );
      return answer.kind === "done" ? { ok: true } : { ok: false, error: refusal(answer) };
    });
  }

  /** Checks the stored ledger against the directory; `problems` lists what is inconsistent. */
  audit(): Promise<Read<"audit", Audit>> {
    return this.#checked(failedRead, async () =>
      read<"audit", Audit>(await this.#query("audit", undefined, undefined), "audit"),
    );
  }

  #op(event: Record<string, unknown>, at?: Time): Promise<WriteResult> {
    return this.#checked(refusedWrite, async () => {
      const answer = await this.#event(event, at);
      return answer.kind === "done" ? { ok: true } : { ok: false, error: refusal(answer) };
    });
  }

  #event(event: Record<string, unknown>, at?: Time): Promise<Answer> {
    // ISO text travels inside the event, so the core parses it like a scenario's `at`.
    const text = args.jsonText("event", typeof at === "string" ? { ...event, at } : event);
    const [actor, id] = this.#context();
    const when = typeof at === "string" ? this.#shared.now() : this.#millis(at);
    return this.#run(() => this.#admitting(wasm().Attempt.event(text, when, actor, id)));
  }

  #query(
    kind: string,
    account: string | undefined,
    feature: string | undefined,
    at?: Time,
  ): Promise<Answer> {
    const when = this.#millis(at);
    return this.#run(() => wasm().Attempt.query(kind, account, feature, when));
  }

  /** A time argument in ms; the core checks its range (1970–9999) and answers `invalid-input` outside it. */
  #millis(at: unknown, name = "at"): number {
    return args.millis(name, at, this.#shared.now, (text) => wasm().parseTime(text));
  }

  /** Runs `work`, answering a bad argument (or anything else it throws) as `fail` says, never by throwing. */
  async #checked<T>(fail: (error: ErrorBody) => T, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      return fail(args.problemOf(e));
    }
  }

  /** The attempt, trusting only the licences this Engine's `licence` option admits (see src/attempt.rs `trusting`). */
  #admitting(attempt: AttemptHandle): AttemptHandle {
    const trust = this.#shared.trust;
    if (trust !== undefined) attempt.trust(trust.trustedKeys, trust.devMode ?? false);
    return attempt;
  }

  /**
   * Tries a request until it commits, is answered, or runs out of tries. The
   * first try runs alongside every other call; a request that lost a race
   * retries in this engine's one-at-a-time lane, so calls from one process
   * never keep invalidating each other (hundreds of claims on one ledger
   * would otherwise livelock); races with other processes back off.
   */
  async #run(start: () => AttemptHandle): Promise<Answer> {
    const { tries, backoff } = this.#shared;
    let answer = await this.#try(start, this.#store);
    for (let n = 1; answer === LOST && n < tries; n++) {
      // The back-off is waited outside the lane, so this process's other retries go meanwhile.
      const wait = backoff(n - 1);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      answer = await this.#exclusive(() => this.#retry(start, n));
    }
    return answer === LOST ? this.#conflict() : answer;
  }

  /**
   * Try `n + 1`: from the third on, with other processes' writers held off where the store can
   * (Store.exclusive), so a request that reads much (an admin write) can't keep losing to a flood
   * of short claims — optimistic retries alone let 0–9 of 2,560 such requests lose 30 races.
   */
  async #retry(start: () => AttemptHandle, n: number): Promise<Answer | typeof LOST> {
    const store = this.#store;
    if (n < EXCLUSIVE_AFTER || store.exclusive === undefined) return this.#try(start, store);
    try {
      return await store.exclusive((held) => this.#try(start, held));
    } catch (e) {
      return { kind: "refused", value: storeError(e) };
    }
  }

  /** One attempt: loads until the core decides, then commits. */
  async #try(start: () => AttemptHandle, store: Store): Promise<Answer | typeof LOST> {
    const attempt = start();
    try {
      let step = JSON.parse(attempt.step()) as Step;
      while (step.step === "load") {
        const got = step.keys.length > 0 ? await store.get(step.keys) : [];
        const listed = [];
        for (const prefix of step.lists) listed.push(await this.#listAll(prefix, store));
        step = JSON.parse(attempt.step({ got, listed })) as Step;
      }
      if (step.step === "answer") return step.answer;
      return (await store.commit(step.commit)) === true ? step.answer : LOST;
    } catch (e) {
      return { kind: "refused", value: storeError(e) };
    } finally {
      attempt.free();
    }
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.#shared.lane.then(work, work);
    this.#shared.lane = turn.then(
      () => {},
      () => {},
    );
    return turn;
  }

  #conflict(): Answer {
    return {
      kind: "refused",
      value: {
        code: "conflict",
        message: `lost the race for the store ${this.#shared.tries} times; nothing was written`,
      },
    };
  }

  async #listAll(prefix: string, store: Store): Promise<{ key: string; value: string }[]> {
    const all = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.list(prefix, after, this.#shared.page);
      if (!Array.isArray(page))
        throw new TypeError(`list(${JSON.stringify(prefix)}) did not answer an array`);
      all.push(...page);
      if (page.length < this.#shared.page) return all;
      const last = page[page.length - 1]!.key;
      // A store that does not move forward would loop here for ever.
      if (after !== undefined && compareKeys(last, after) <= 0)
        throw new Error(`list(${JSON.stringify(prefix)}) did not move past ${after}`);
      after = last;
    }
  }
}

/** The trust configuration, checked once: 64 hex digits per key. */
function checkedTrust(trust: LicenceTrust): LicenceTrust {
  const given = args.options("licence", trust);
  const trustedKeys = args.keyList("licence.trustedKeys", given.trustedKeys);
  for (const key of trustedKeys)
    if (!/^[0-9a-fA-F]{64}$/.test(key))
      throw new TypeError(`licence.trustedKeys: \`${key}\` is not 64 hex digits`);
  return {
    trustedKeys: [...trustedKeys],
    devMode: args.optionalFlag("licence.devMode", given.devMode),
  };
}

/** A page argument's cursor, size (1…`max`, default 100) and domain filter. */
function pageArgs(
  page: unknown,
  max: number,
): {
  after: string | undefined;
  limit: number;
  domain: string | undefined;
  suffix: string | undefined;
} {
  const given = args.options("page", page);
  const after = args.optionalText("page.after", given.after);
  const limit = Math.max(1, Math.min(args.optionalCount("page.limit", given.limit) ?? 100, max));
  const domain = args.optionalText("page.domain", given.domain)?.toLowerCase();
  return { after, limit, domain, suffix: domain === undefined ? undefined : `@${domain}` };
}

/** A connect with a bad argument is denied as SPEC denies a malformed connect event (`invalid-input`, no source). */
function deniedConnect(error: ErrorBody): ConnectResult {
  return error.code === "invalid-input"
    ? { allowed: false, reason: "invalid-input", source: null }
    : { allowed: false, error };
}

function refusedWrite(error: ErrorBody): WriteResult {
  return { ok: false, error };
}

function failedRead(error: ErrorBody): Failure {
  return { type: "failure", error };
}

/** An event refused before it reached the core, shaped as `shapeEvent` would. */
function shapeEventError(error: ErrorBody, event: unknown): ConnectResult | WriteResult {
  const connect =
    typeof event === "object" && event !== null
      ? (event as { op?: unknown }).op === "connect"
      : typeof event === "string" && isConnect(event);
  return connect ? { allowed: false, error } : { ok: false, error };
}

/** An event's answer as SPEC's Outcome entry: a decision for connects, `ok` for the rest. */
function shapeEvent(answer: Answer, text: string): ConnectResult | WriteResult {
  if (answer.kind === "decision") return answer.value;
  if (answer.kind === "done") return { ok: true };
  const error = refusal(answer);
  return isConnect(text) ? { allowed: false, error } : { ok: false, error };
}

function refusal(answer: Answer): ErrorBody {
  if (answer.kind === "refused") return answer.value;
  return { code: "store-error", message: `unexpected answer \`${answer.kind}\`` };
}

function read<K extends string, T>(answer: Answer, field: K): Read<K, T> {
  if (answer.kind === "refused") return { type: "failure", error: answer.value };
  if (!("value" in answer)) return { type: "failure", error: refusal(answer) };
  return { type: "success", [field]: answer.value } as Read<K, T>;
}

function storeError(e: unknown): ErrorBody {
  const why = e instanceof Error ? e.message : String(e);
  return { code: "store-error", message: `the store failed: ${why}` };
}

function isConnect(text: string): boolean {
  try {
    return (JSON.parse(text) as { op?: unknown }).op === "connect";
  } catch {
    return false;
  }
}
