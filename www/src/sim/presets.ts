// Starting points: the page's default and the example from Axigen's
// "ActiveSync Special Licensing Notes" (500 accounts, 200 seats: the first
// 200 to connect keep ActiveSync, the other 300 are capped — R4, R5).
import { DEFAULT_POLICY, type SimState } from "./draft.js";

export function axigenExample(): SimState {
  return {
    draft: {
      licence: { mailboxes: "500", expires: "", features: [{ name: "activesync", seats: "200" }] },
      policy: { ...DEFAULT_POLICY },
      server: { activesync: "disabled" },
      domains: [{ name: "example.com", settings: { activesync: "enabled" }, classes: [] }],
      generate: [
        { domain: "example.com", count: "500", prefix: "user", type: "premium", class: "" },
      ],
      accountsText: "",
      bulkAccounts: null,
      seats: null,
      events: [],
    },
    timeline: {
      kind: "generated",
      feature: "activesync",
      users: "500",
      repeats: "1",
      days: "5",
      start: "2026-01-05",
      seed: "1",
      csvText: "",
      csvName: "",
    },
    sizing: { from: "0", to: "500", points: "11" },
    compare: { ...DEFAULT_POLICY, seats: "300", mailboxes: "500" },
  };
}

/** What a fresh page shows: a small directory ready to run, easy to change. */
export function defaultState(): SimState {
  const s = axigenExample();
  s.draft.licence = { mailboxes: "", expires: "", features: [{ name: "activesync", seats: "10" }] };
  s.draft.generate = [
    { domain: "example.com", count: "25", prefix: "user", type: "premium", class: "" },
  ];
  s.timeline.users = "25";
  s.sizing = { from: "0", to: "25", points: "6" };
  s.compare = { ...DEFAULT_POLICY, seats: "15", mailboxes: "" };
  return s;
}
