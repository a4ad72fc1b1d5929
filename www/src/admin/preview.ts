// The what-if behind "Change a setting": the live state (GET /v1/export) is
// simulated twice in the engine worker — as it is, and with the change
// appended as a SPEC `set` event — and the two end states are compared
// account by account. A third run projects the accounts the change newly
// enables connecting, to show how many of them the free seats would take
// and how many the cap would disable.
import { runJob } from "../engine-client.js";
import type { Outcome, SimulateResult } from "../../../js/src/types.js";
import type { Scenario, Setting } from "./api.js";

export interface Change {
  node: string;
  feature: string;
  value: Setting;
}

export interface Preview {
  change: Change;
  /** When the live state was read. */
  exportedAt: Date;
  accounts: number;
  /** The server would refuse the write: the simulated `set` event's error. */
  refused?: { code: string; message: string; holders?: string[] };
  limit: number | null;
  usedBefore: number;
  usedAfter: number;
  gains: string[];
  losses: string[];
  capped: string[];
  uncapped: string[];
  /** Effective value turned on / off by the change. */
  enabled: string[];
  disabled: string[];
  /** Newly enabled premium accounts without a seat, connecting first in id order. */
  projection: {
    connecting: number;
    claim: string[];
    capped: string[];
    waitlisted: string[];
    overflow: string;
  };
}

async function simulate(scenario: Scenario, signal: AbortSignal): Promise<Outcome> {
  const result = await runJob<SimulateResult>("simulate", { scenario }, { signal });
  if (result.type === "failure")
    throw new Error(
      `the server's state could not be simulated in this browser: ${result.error.message} (error code: ${result.error.code})`,
    );
  return result.outcome;
}

/** `scenario` is the export; it is not modified. */
export async function previewChange(
  scenario: Scenario,
  change: Change,
  signal: AbortSignal,
  exportedAt = new Date(),
): Promise<Preview> {
  const base: Scenario = { ...scenario, events: [] };
  const setEvent = {
    op: "set" as const,
    node: change.node,
    feature: change.feature,
    value: change.value,
  };
  const changed: Scenario = { ...scenario, events: [setEvent] };
  const [before, after] = await Promise.all([simulate(base, signal), simulate(changed, signal)]);
  const f = change.feature;
  const result = after.events[0];
  const refused = result && "ok" in result && !result.ok ? result.error : undefined;

  const types = new Map(
    (scenario.directory.accounts ?? []).map((a) => [a.id.toLowerCase(), a.type ?? "premium"]),
  );
  const preview: Preview = {
    change,
    exportedAt,
    accounts: Object.keys(after.state.accounts).length,
    ...(refused ? { refused } : {}),
    limit: after.state.seats[f]?.limit ?? null,
    usedBefore: before.state.seats[f]?.holders.length ?? 0,
    usedAfter: after.state.seats[f]?.holders.length ?? 0,
    gains: [],
    losses: [],
    capped: [],
    uncapped: [],
    enabled: [],
    disabled: [],
    projection: {
      connecting: 0,
      claim: [],
      capped: [],
      waitlisted: [],
      overflow: scenario.policy?.overflow ?? "disable",
    },
  };
  const fresh: string[] = [];
  for (const [id, features] of Object.entries(after.state.accounts)) {
    const a = features[f];
    const b = before.state.accounts[id]?.[f];
    if (!a || !b) continue;
    if (a.seat && !b.seat) preview.gains.push(id);
    if (!a.seat && b.seat) preview.losses.push(id);
    if (a.capped && !b.capped) preview.capped.push(id);
    if (!a.capped && b.capped) preview.uncapped.push(id);
    if (a.effective === "enabled" && b.effective !== "enabled") {
      preview.enabled.push(id);
      if (!a.seat && types.get(id) !== "basic") fresh.push(id);
    }
    if (a.effective !== "enabled" && b.effective === "enabled") preview.disabled.push(id);
  }
  // Holders keep claim order; the rest read best in id order.
  const order = new Map((after.state.seats[f]?.holders ?? []).map((id, i) => [id, i]));
  preview.gains.sort((x, y) => (order.get(x) ?? 0) - (order.get(y) ?? 0));
  const beforeOrder = new Map((before.state.seats[f]?.holders ?? []).map((id, i) => [id, i]));
  preview.losses.sort((x, y) => (beforeOrder.get(x) ?? 0) - (beforeOrder.get(y) ?? 0));
  for (const list of [preview.capped, preview.uncapped, preview.enabled, preview.disabled, fresh])
    list.sort();

  if (!refused && fresh.length > 0) {
    const connects = fresh.map((account) => ({ op: "connect" as const, account, feature: f }));
    const projected = await simulate({ ...scenario, events: [setEvent, ...connects] }, signal);
    preview.projection.connecting = fresh.length;
    projected.events.slice(1).forEach((result, i) => {
      const id = fresh[i]!;
      const event = "reason" in result ? result : { reason: undefined };
      if (event.reason === "seat-claimed") preview.projection.claim.push(id);
      else if (event.reason === "capped") preview.projection.capped.push(id);
      else if (event.reason === "waitlisted") preview.projection.waitlisted.push(id);
    });
  }
  return preview;
}
