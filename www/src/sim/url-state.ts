// The page's state in its address: `#/sim?s=<base64url(deflate(JSON))>`, so
// a link reproduces the forms, the timeline and the views' settings. A CSV
// log or loaded file too big for a link is left out, and the page says so.
import { deflateSync, inflateSync, strFromU8, strToU8 } from "fflate";
import { axigenExample, defaultState } from "./presets.js";
import type { Setting } from "../../../js/src/types.js";
import { DEFAULT_POLICY, type Draft, type SimState } from "./draft.js";

/** Past this many characters of `s=` a link stops being practical to share (chat tools, mail clients cut it). */
export const MAX_LINK_CHARS = 60_000;

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("it has characters base64url doesn't use");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function encodeState(state: SimState): string {
  return toBase64Url(deflateSync(strToU8(JSON.stringify({ v: 1, ...state })), { level: 9 }));
}

/** What a link encodes, with what it left out (a CSV log too big for it). */
export function linkFor(state: SimState): { s: string; omitted: string | null } {
  const s = encodeState(state);
  if (s.length <= MAX_LINK_CHARS) return { s, omitted: null };
  if (state.timeline.csvText) {
    const without = encodeState({ ...state, timeline: { ...state.timeline, csvText: "" } });
    if (without.length <= MAX_LINK_CHARS)
      return {
        s: without,
        omitted: `the CSV log (${state.timeline.csvName || "pasted lines"}) is too big for a link; whoever opens it must load the log again`,
      };
  }
  return {
    s: "",
    omitted: `this scenario is too big for a link (${Math.round(s.length / 1024)} KB encoded); use Export to share it as a file`,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The state a link holds, checked part by part against the page's own
 * shape (missing parts take the defaults), or an error saying what is wrong.
 */
export function decodeState(s: string): { state: SimState } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(strFromU8(inflateSync(fromBase64Url(s))));
  } catch (e) {
    return {
      error: `The link's scenario (the \`s=\` part) is damaged and can't be read: ${e instanceof Error ? e.message : String(e)}. Was it cut short when copied?`,
    };
  }
  if (!isObject(json) || json.v !== 1)
    return {
      error: "The link's scenario was not made by this console (or by a version it can't read).",
    };
  const base = defaultState();
  const example = axigenExample();
  const state: SimState = {
    draft: base.draft,
    timeline: base.timeline,
    sizing: base.sizing,
    compare: base.compare,
  };
  const problems: string[] = [];
  for (const key of ["draft", "timeline", "sizing", "compare"] as const) {
    const part = json[key];
    if (part === undefined) continue;
    if (!isObject(part)) {
      problems.push(key);
      continue;
    }
    // Every field must have the type the default has; a wrong one means a damaged or foreign link.
    const template = (key === "draft" ? example.draft : base[key]) as unknown as Record<
      string,
      unknown
    >;
    for (const [field, value] of Object.entries(part)) {
      const want = template[field];
      if (!(field in template)) problems.push(`${key}.${field}`);
      else if (
        want !== null &&
        value !== null &&
        (Array.isArray(want) !== Array.isArray(value) || typeof want !== typeof value)
      )
        problems.push(`${key}.${field}`);
    }
    (state as unknown as Record<string, unknown>)[key] = { ...(base[key] as object), ...part };
  }
  if (problems.length)
    return {
      error: `The link's scenario has fields this console doesn't know or can't read: ${problems.slice(0, 5).join(", ")}.`,
    };
  state.draft = normalizeDraft(state.draft);
  return { state };
}

const str = (v: unknown): string =>
  typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.map((x) => (isObject(x) ? x : {})) : [];
const settings = (v: unknown): Record<string, Setting> =>
  isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, str(x) as Setting])) : {};

/** The draft's nested parts rebuilt field by field, so a hand-edited link can't give the forms a wrong shape. */
function normalizeDraft(d: Draft): Draft {
  const licence = isObject(d.licence) ? d.licence : { mailboxes: "", expires: "", features: [] };
  return {
    licence: {
      mailboxes: str(licence.mailboxes),
      expires: str(licence.expires),
      features: list(licence.features).map((f) => ({ name: str(f.name), seats: str(f.seats) })),
    },
    policy: { ...DEFAULT_POLICY, ...(isObject(d.policy) ? d.policy : {}) },
    server: settings(d.server),
    domains: list(d.domains).map((dom) => ({
      name: str(dom.name),
      settings: settings(dom.settings),
      classes: list(dom.classes).map((c) => ({
        name: str(c.name),
        settings: settings(c.settings),
      })),
    })),
    generate: list(d.generate).map((g) => ({
      domain: str(g.domain),
      count: str(g.count),
      prefix: str(g.prefix),
      type: g.type === "basic" ? "basic" : "premium",
      class: str(g.class),
    })),
    accountsText: str(d.accountsText),
    bulkAccounts: Array.isArray(d.bulkAccounts) ? d.bulkAccounts : null,
    seats: isObject(d.seats) ? (d.seats as Draft["seats"]) : null,
    events: Array.isArray(d.events) ? d.events : [],
  };
}
