// The package's API over whichever wasm binding the host entry loaded
// (node.ts, web.ts, workerd.ts). Scenarios cross as JSON text: objects are
// JSON.stringify-ed inside the binding, so every host parses identical text.
import type {
  Failure,
  VerifyLicenceResult,
  ExplainResult,
  InitInput,
  Scenario,
  SimulateOptions,
  SimulateResult,
  ValidateResult,
} from "./types.js";
import type { AttemptHandle } from "./engine.js";

/** What src/wasm.rs exports (see pkg/seatcap.d.ts). */
export interface Bindings {
  simulate(input: unknown, onProgress?: (done: number, total: number) => void): unknown;
  validateScenario(input: unknown): unknown;
  explain(input: unknown, account: string, feature: string): unknown;
  version(): string;
  verifyLicence(file: string, trusted: string[], allowUnsigned: boolean): unknown;
  licenceMessage(file: string): unknown;
  /** Milliseconds of ISO-8601 text as the core reads times; `NaN` if it is not one. */
  parseTime(text: string): number;
  /** Whether ms is a time the core accepts from a host (a whole number, 1970…9999). */
  isHostTime(atMs: number): boolean;
  Attempt: {
    event(raw: string, atMs: number, actor?: string, logId?: string): AttemptHandle;
    connect(
      account: string,
      feature: string,
      atMs: number,
      actor?: string,
      logId?: string,
    ): AttemptHandle;
    tryConnect(account: string, feature: string, atMs: number): AttemptHandle;
    peekConnect(account: string, feature: string, atMs: number): AttemptHandle;
    query(
      kind: string,
      account: string | undefined,
      feature: string | undefined,
      atMs: number,
    ): AttemptHandle;
    importState(
      scenario: unknown,
      replace: boolean,
      force: boolean,
      atMs: number,
      actor?: string,
      logId?: string,
    ): AttemptHandle;
    uploadLicence(
      file: string,
      trusted: string[],
      allowUnsigned: boolean,
      force: boolean,
      atMs: number,
      actor?: string,
      logId?: string,
    ): AttemptHandle;
  };
}

let bindings: Bindings | undefined;
let initialise: (input?: InitInput) => Promise<void> = async () => {};

/** Called by each host entry once its wasm instance is ready. */
export function useBindings(b: Bindings): void {
  bindings = b;
}

/** Called by entries that load the wasm asynchronously (browsers). */
export function useLoader(load: (input?: InitInput) => Promise<void>): void {
  initialise = load;
}

/** The loaded bindings, or a clear error before `init()` has finished. */
export function wasm(): Bindings {
  if (!bindings)
    throw new Error("seatcap: the wasm module is not loaded yet; call `await init()` first");
  return bindings;
}

/**
 * Loads the wasm module. Needed once in browsers before any other call;
 * in Node and workerd the module is loaded on import and this resolves at once.
 */
export function init(input?: InitInput): Promise<void> {
  return initialise(input);
}

/** Runs a what-if scenario (SPEC "Scenario file") and returns its Outcome. */
export function simulate(
  scenario: Scenario | string,
  options: SimulateOptions = {},
): SimulateResult {
  return wasm().simulate(scenario, options.onProgress) as SimulateResult;
}

/** Checks a scenario without running it. */
export function validateScenario(scenario: Scenario | string): ValidateResult {
  return wasm().validateScenario(scenario) as ValidateResult;
}

/** Runs the scenario, then explains what (account, feature) would get now, and why. */
export function explain(
  scenario: Scenario | string,
  account: string,
  feature: string,
): ExplainResult {
  return wasm().explain(scenario, account, feature) as ExplainResult;
}

/**
 * Checks a licence file (the SPEC licence plus `signature: {key, value}`, Ed25519) against
 * trusted vendor public keys (64 hex each). `allowUnsigned` (dev mode) accepts a file with no
 * signature; a signature that does not verify is refused always.
 */
export function verifyLicence(
  file: string | object,
  trusted: string[],
  options: { allowUnsigned?: boolean } = {},
): VerifyLicenceResult {
  const text = typeof file === "string" ? file : JSON.stringify(file);
  return wasm().verifyLicence(text, trusted, options.allowUnsigned ?? false) as VerifyLicenceResult;
}

/** The exact text a vendor signs (UTF-8) for a licence file: a fixed prefix and the licence's canonical JSON. */
export function licenceMessage(
  file: string | object,
): { type: "success"; message: string } | Failure {
  const text = typeof file === "string" ? file : JSON.stringify(file);
  return wasm().licenceMessage(text) as { type: "success"; message: string } | Failure;
}

/** Milliseconds of ISO-8601 text as the core reads scenario times (1970…9999); `NaN` if it is not one. */
export function parseTime(text: string): number {
  return typeof text === "string" ? wasm().parseTime(text) : Number.NaN;
}

/** The engine's version. */
export function version(): string {
  return wasm().version();
}
