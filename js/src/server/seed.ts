// The directory `npm start` seeds an empty store with: Axigen's own example
// ("500 accounts, 200 ActiveSync mailboxes"), ActiveSync enabled on the
// domain so every account inherits it, as the SPEC's source text describes.
import type { Scenario } from "../types.js";

export function axigenExample(accounts = 500, seats = 200): Scenario {
  return {
    licence: { mailboxes: accounts, features: { activesync: { seats } }, expires: null },
    policy: {
      capping: "on-attempt",
      overflow: "disable",
      shrink: "grandfather",
      restoreOnGrow: false,
    },
    directory: {
      server: { activesync: "disabled" },
      domains: { "example.com": { settings: { activesync: "enabled" }, classes: {} } },
      accounts: [],
      generate: [{ domain: "example.com", count: accounts, prefix: "user" }],
    },
  } as Scenario;
}
