// What every admin view shares: the signed-in context, inheritance (R1) for
// nodes above the accounts, and small pieces of UI (badges, tables, lists
// of account ids, loading and error states, nodes named in words).
import type { Route } from "../main.js";
import { errorBox, h } from "../ui/dom.js";
import { fmt } from "../ui/format.js";
import { why } from "../ui/rules.js";
import { nodeText } from "../ui/words.js";

export { nodeText };
import {
  ApiError,
  type Api,
  type DirectoryView,
  type Role,
  type Setting,
  type Settings,
} from "./api.js";

export interface Ctx {
  api: Api;
  role: Exclude<Role, { kind: "gateway" }>;
  /** The only domain a domain administrator may see; `undefined` for a server administrator. */
  scope: string | undefined;
  /** Cancelled when the view is replaced: late answers are dropped. */
  signal: AbortSignal;
  route: Route;
  /** Renders the current view again (after a write), keeping a message at its top. */
  refresh(message?: Flash): void;
}

export interface Flash {
  kind: "good" | "bad";
  text: string;
}

export type View = (ctx: Ctx, root: HTMLElement) => Promise<void>;

export const isServerAdmin = (ctx: Ctx): boolean => ctx.role.kind === "server-admin";

export const href = {
  seats: (feature?: string) =>
    feature ? `#/admin/seats/${encodeURIComponent(feature)}` : "#/admin/seats",
  directory: () => "#/admin/directory",
  domain: (domain: string) => `#/admin/directory/${encodeURIComponent(domain)}`,
  klass: (domain: string, name: string) =>
    `#/admin/directory/${encodeURIComponent(domain)}/class/${encodeURIComponent(name)}`,
  account: (id: string) => `#/admin/accounts/${encodeURIComponent(id)}`,
  log: () => "#/admin/log",
  licence: () => "#/admin/licence",
};

export function domainOf(id: string): string {
  return id.slice(id.lastIndexOf("@") + 1).toLowerCase();
}

/** Where a node lives in the console. */
export function nodeHref(node: string): string | undefined {
  if (node === "server") return href.directory();
  const colon = node.indexOf(":");
  const kind = node.slice(0, colon);
  const rest = node.slice(colon + 1);
  if (kind === "domain") return href.domain(rest);
  if (kind === "class") {
    const [d = "", c = ""] = rest.split("/");
    return href.klass(d, c);
  }
  if (kind === "account") return href.account(rest);
  return undefined;
}

export interface Resolved {
  effective: Setting;
  source: string;
}

/** R1 above the accounts: the first non-`inherit` setting of class → domain → server. */
export function resolve(
  dir: DirectoryView,
  feature: string,
  at: { domain?: string; klass?: string; account?: Settings; accountNode?: string },
): Resolved {
  const chain: [string, Settings | undefined][] = [];
  if (at.account && at.accountNode) chain.push([at.accountNode, at.account]);
  const domain = at.domain ? dir.domains[at.domain] : undefined;
  if (at.domain && at.klass)
    chain.push([`class:${at.domain}/${at.klass}`, domain?.classes[at.klass]]);
  if (at.domain) chain.push([`domain:${at.domain}`, domain?.settings]);
  chain.push(["server", dir.server]);
  for (const [node, settings] of chain) {
    const s = settings?.[feature];
    if (s && s !== "inherit") return { effective: s, source: node };
  }
  return { effective: "disabled", source: "server" };
}

export function settingBadge(value: Setting | null | undefined): HTMLElement {
  if (value === "enabled") return h("span", { class: "badge good" }, "enabled");
  if (value === "disabled") return h("span", { class: "badge bad" }, "disabled");
  return h("span", { class: "badge" }, value ?? "—");
}

/** "set here" or "inherited from domain x.com" (with a link to that node). */
export function sourceText(source: string | null, self: string): HTMLElement {
  if (source === null) return h("span", { class: "note" }, "—");
  if (source === self) return h("span", { class: "source" }, "set here");
  const link = nodeHref(source);
  return h(
    "span",
    { class: "source" },
    "inherited from ",
    link ? h("a", { href: link }, nodeText(source)) : nodeText(source),
  );
}

/** A table that scrolls sideways on a phone instead of squeezing. */
export function table(
  caption: string,
  head: (string | { text: string; class: string })[],
  rows: HTMLElement[],
  attrs: Record<string, string> = {},
): HTMLElement {
  return h(
    "div",
    { class: "table-wrap", ...attrs },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          head.map((c) =>
            typeof c === "string"
              ? h("th", { scope: "col" }, c)
              : h("th", { scope: "col", class: c.class }, c.text),
          ),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

export function accountLink(id: string): HTMLElement {
  return h("a", { href: href.account(id), class: "account-link" }, id);
}

/** A list of account ids, at most `max` shown, the rest counted. */
export function idList(
  ids: readonly string[],
  label: string,
  options: { max?: number; testid?: string } = {},
): HTMLElement {
  const max = options.max ?? 50;
  if (ids.length === 0)
    return h("p", { class: "note", "data-list": options.testid ?? null }, "none");
  return h(
    "div",
    { "data-list": options.testid ?? null },
    h(
      "ul",
      { class: "idlist", "aria-label": label },
      ids.slice(0, max).map((id) => h("li", {}, accountLink(id))),
    ),
    ids.length > max ? h("p", { class: "note" }, `… and ${fmt(ids.length - max)} more`) : null,
  );
}

export function loading(text = "Loading…"): HTMLElement {
  return h("p", { class: "note", role: "status" }, text);
}

/** What to do about a refusal, by the server's error code. */
const ADVICE: Record<string, string> = {
  "seats-exhausted": "Disable one of the accounts holding a seat first.",
  "quota-exhausted": "Disable one of the domain's seat holders first, or raise its quota.",
  "mailboxes-exhausted": "Delete an account or upload a licence with more mailboxes.",
  conflict: "Someone changed the same thing at the same moment: reload the page and try again.",
  forbidden: "Your token is not allowed to do this.",
  unauthorized: "Sign in again.",
  "rate-limited": "Too many requests: wait a moment and try again.",
  "payload-too-large": "The file is too large for the server.",
  "store-error": "The server could not reach its storage: check the server's log, then try again.",
};

/** A full stop at the end of `text` unless it has one. */
export function stop(text: string): string {
  const t = text.trim();
  return !t || /[.!?]$/.test(t) ? t : `${t}.`;
}

/** A message as a sentence: capital first letter, full stop at the end. */
export function sentence(text: string): string {
  const t = stop(text);
  return t ? t[0]!.toUpperCase() + t.slice(1) : t;
}

/**
 * The server's message for a failed call as a sentence, what to do about it
 * when the console knows, and the error code for administrators who search
 * the server's log.
 */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const advice = ADVICE[e.code];
    return `${stop(e.message)}${advice ? ` ${advice}` : ""} (Error code: ${e.code}.)`;
  }
  return stop((e as Error)?.message ?? String(e));
}

export function failed(e: unknown): HTMLElement {
  return errorBox(errorText(e));
}

export function isAbort(e: unknown): boolean {
  return (e as Error)?.name === "AbortError";
}

export function flashBox(flash: Flash): HTMLElement {
  return h("p", { class: `flash ${flash.kind}`, role: "status" }, flash.text);
}

/** A stat card: value over label. */
export function stat(
  label: string,
  value: string,
  attrs: Record<string, string> = {},
): HTMLElement {
  return h(
    "div",
    { class: "stat", ...attrs },
    h("div", { class: "value" }, value),
    h("div", { class: "label" }, label),
  );
}

export function seatNumber(n: number | null): string {
  return n === null ? "unlimited" : fmt(n);
}

/** The R6 refusal as an administrator needs it: who holds the seats, each a link to disable it. */
export function seatsExhausted(
  message: string,
  holders: readonly string[] | undefined,
  lead: string,
): HTMLElement {
  return h(
    "div",
    { class: "error r6", role: "alert", "data-error": "seats-exhausted" },
    h("p", {}, h("strong", {}, lead), " no seat is free. ", sentence(message), ...why(6)),
    holders && holders.length > 0
      ? [
          h(
            "p",
            {},
            `These ${fmt(holders.length)} accounts hold the seats, first to connect first. Disable one of them to free a seat, then enable this account again.`,
          ),
          idList(holders, "Seat holders", { max: 100, testid: "r6-holders" }),
        ]
      : h(
          "p",
          {},
          "The seats are held by accounts outside your domain: ask a server administrator to free one.",
        ),
  );
}
