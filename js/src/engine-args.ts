// Argument checks for the Engine's methods, run before anything reaches the
// wasm: wasm-bindgen reads a number passed where a string is expected as a
// pointer (`RuntimeError: memory access out of bounds`), and a trap poisons
// the instance. Only types and shapes are checked here; what values mean is
// the Rust core's to decide.
import type { ErrorBody } from "./types.js";

/** A method was called with an argument of the wrong type: answered `invalid-input`, nothing read or written. */
export class ArgumentError extends TypeError {}

/** `invalid-input` for a thrown argument problem; `store-error` for anything else that escaped. */
export function problemOf(e: unknown): ErrorBody {
  if (e instanceof TypeError || e instanceof RangeError) {
    return { code: "invalid-input", message: e.message };
  }
  return {
    code: "store-error",
    message: `the engine failed: ${e instanceof Error ? e.message : String(e)}`,
  };
}

export function text(name: string, value: unknown): string {
  if (typeof value !== "string")
    throw new ArgumentError(`${name}: expected a string, got ${kind(value)}`);
  return value;
}

export function optionalText(name: string, value: unknown): string | undefined {
  return value === undefined ? undefined : text(name, value);
}

export function optionalFlag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean")
    throw new ArgumentError(`${name}: expected true or false, got ${kind(value)}`);
  return value;
}

export function optionalCount(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw new ArgumentError(`${name}: expected a whole number, got ${kind(value)}`);
  return value;
}

/** A plain options object (or nothing). */
export function options(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ArgumentError(`${name}: expected an object, got ${kind(value)}`);
  return value as Record<string, unknown>;
}

/** JSON text of an event, a scenario or a licence file: a string as given, an object stringified. */
export function jsonText(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || typeof value !== "object")
    throw new ArgumentError(`${name}: expected an object or JSON text, got ${kind(value)}`);
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw new ArgumentError(
      `${name}: can't be turned into JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

export function keyList(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((k) => typeof k === "string"))
    throw new ArgumentError(`${name}: expected an array of strings`);
  return value as string[];
}

/**
 * A time argument as the core takes it: ms (checked for range by the core), a Date's ms, or
 * ISO text read by `parse` (the core's own reader). `NaN` for an invalid Date or text: the core
 * answers it `invalid-input`.
 */
export function millis(
  name: string,
  at: unknown,
  now: () => number,
  parse: (text: string) => number,
): number {
  if (at === undefined) return now();
  if (typeof at === "number") return at;
  if (at instanceof Date) return at.getTime();
  if (typeof at === "string") return parse(at);
  throw new ArgumentError(
    `${name}: expected milliseconds, a Date or ISO-8601 text, got ${kind(at)}`,
  );
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : `the number ${value}`;
  return `a ${typeof value}`;
}
