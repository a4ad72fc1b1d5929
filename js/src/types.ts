// Public types of the seatcap package. Everything under ./generated is
// written by ts-rs from the Rust types (`cargo test`), so the TypeScript
// and the engine can't drift apart.
export type { Scenario } from "./generated/Scenario.js";
export type { ScenarioEvent } from "./generated/ScenarioEvent.js";
export type { Directory } from "./generated/Directory.js";
export type { DomainConfig } from "./generated/DomainConfig.js";
export type { ClassConfig } from "./generated/ClassConfig.js";
export type { AccountConfig } from "./generated/AccountConfig.js";
export type { Generate } from "./generated/Generate.js";
export type { RecordedSeats } from "./generated/RecordedSeats.js";
export type { RecordedHolder } from "./generated/RecordedHolder.js";
export type { Licence } from "./generated/Licence.js";
export type { FeatureLicence } from "./generated/FeatureLicence.js";
export type { Policy } from "./generated/Policy.js";
export type { Capping } from "./generated/Capping.js";
export type { Overflow } from "./generated/Overflow.js";
export type { Shrink } from "./generated/Shrink.js";
export type { Setting } from "./generated/Setting.js";
export type { AccountType } from "./generated/AccountType.js";
export type { Via } from "./generated/Via.js";
export type { AccountId } from "./generated/AccountId.js";
export type { DomainName } from "./generated/DomainName.js";
export type { ClassName } from "./generated/ClassName.js";
export type { Feature } from "./generated/Feature.js";
export type { Timestamp } from "./generated/Timestamp.js";
export type { Outcome } from "./generated/Outcome.js";
export type { EventResult } from "./generated/EventResult.js";
export type { Decision } from "./generated/Decision.js";
export type { Reason } from "./generated/Reason.js";
export type { OpResult } from "./generated/OpResult.js";
export type { ErrorBody } from "./generated/ErrorBody.js";
export type { ErrorCode } from "./generated/ErrorCode.js";
export type { StateView } from "./generated/StateView.js";
export type { SeatsView } from "./generated/SeatsView.js";
export type { AccountFeatureView } from "./generated/AccountFeatureView.js";
export type { Explanation } from "./generated/Explanation.js";
export type { ChainLink } from "./generated/ChainLink.js";
export type { SeatView } from "./generated/SeatView.js";
export type { ScenarioSummary } from "./generated/ScenarioSummary.js";
export type { AccountView } from "./generated/AccountView.js";
export type { AccountFeature } from "./generated/AccountFeature.js";
export type { FeatureSeats } from "./generated/FeatureSeats.js";
export type { Holder } from "./generated/Holder.js";
export type { Audit } from "./generated/Audit.js";
export type { OverLimit } from "./generated/OverLimit.js";
export type { DirectoryView } from "./generated/DirectoryView.js";
export type { DomainView } from "./generated/DomainView.js";
export type { LicenceView } from "./generated/LicenceView.js";

import type { ErrorBody } from "./generated/ErrorBody.js";
import type { Outcome } from "./generated/Outcome.js";
import type { Explanation } from "./generated/Explanation.js";
import type { ScenarioSummary } from "./generated/ScenarioSummary.js";

import type { Licence } from "./generated/Licence.js";
import type { Setting } from "./generated/Setting.js";
import type { AccountType } from "./generated/AccountType.js";
import type { Via } from "./generated/Via.js";

/** A licence file whose signature verified (or, in dev mode, that was unsigned: `signedBy: null`). */
export interface LicenceFile {
  licence: Licence;
  signedBy: string | null;
}
export type VerifyLicenceResult = { type: "success"; file: LicenceFile } | Failure;

/** One change-log entry (src/changelog.rs): written in the same commit as the change it records. */
export interface LogEntry {
  /** Commit order: each entry's is one more than the one committed before it (absent in entries written before seatcap kept it). */
  seq?: number;
  id: string;
  at: string;
  /** Who asked (the host's name for the caller, e.g. `server-admin` or `domain-admin:example.com`). */
  actor: string;
  /** What was asked, as a SPEC event (or `create-domain`, `create-class`, `import`). */
  request: { op: string; [field: string]: unknown };
  /** Domains the change touched (none for licence and server changes). */
  domains: string[];
  /** Each changed node, as stored before and after (`null`: absent). */
  changes: { node: string; before: unknown; after: unknown }[];
  /** Seats claimed or released, waitlist places, capped markers written or cleared. */
  seats: {
    feature: string;
    account: string;
    change: "claimed" | "released" | "waitlisted" | "left-waitlist" | "capped" | "uncapped";
    via?: Via;
  }[];
}

/** An account as listed (its stored record; `account()` resolves effective values). */
export interface AccountSummary {
  id: string;
  type: AccountType;
  class: string | null;
  settings: Record<string, Setting>;
  /** Features the cap disabled, and when. */
  capped: Record<string, string>;
}

/** A refused input: never thrown, always returned. */
export interface Failure {
  type: "failure";
  error: ErrorBody;
}

export type SimulateResult = { type: "success"; outcome: Outcome } | Failure;
export type ValidateResult = { type: "success"; summary: ScenarioSummary } | Failure;
export type ExplainResult = { type: "success"; explanation: Explanation } | Failure;

export interface SimulateOptions {
  /** Called about a hundred times over the events: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * What browsers may pass to `init()`: the URL of `seatcap_bg.wasm` (a string
 * or a `URL`), a fetch `Request` or `Response` for it, its bytes (an
 * `ArrayBuffer` or typed array), or a compiled `WebAssembly.Module`.
 * Typed loosely on purpose: naming those classes would make Node-only
 * TypeScript projects, which have no DOM library, fail to compile.
 */
export type InitInput = string | ArrayBuffer | ArrayBufferView | object;
