// The scenario as the engine reads it: JSON text of the forms' scenario with
// the timeline's connects appended to its events. The events part is built
// once as text and reused, so the sizing curve's ten runs don't rebuild a
// million events ten times.
import type { Scenario } from "../../../js/src/types.js";
import type { Timeline } from "./timeline.js";
import { isoText } from "./time.js";

/** The JSON array text of the scenario's own events followed by the timeline's. */
export function eventsText(scenario: Scenario, timeline: Timeline | null): string {
  const parts = (scenario.events ?? []).map((e) => JSON.stringify(e));
  if (timeline) {
    const feature = JSON.stringify(timeline.feature);
    const { accounts, times } = timeline;
    for (let i = 0; i < accounts.length; i++) {
      parts.push(
        `{"op":"connect","account":${JSON.stringify(accounts[i])},"feature":${feature},"at":"${isoText(times[i]!)}"}`,
      );
    }
  }
  return `[${parts.join(",")}]`;
}

/** The whole scenario text: everything but the events from `scenario`, then `events` (from `eventsText`). */
export function scenarioText(scenario: Scenario, events: string): string {
  const { events: _own, ...rest } = scenario;
  const head = JSON.stringify(rest);
  return head === "{}" ? `{"events":${events}}` : `${head.slice(0, -1)},"events":${events}}`;
}

/** A copy of `scenario` whose licence gives `feature` `seats` seats (the sizing curve's points). */
export function withSeats(scenario: Scenario, feature: string, seats: number | null): Scenario {
  const licence = scenario.licence;
  return {
    ...scenario,
    licence: {
      ...licence,
      features: { ...licence.features, [feature]: { ...licence.features[feature], seats } },
    },
  };
}
