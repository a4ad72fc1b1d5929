// The audit log (GET /v1/log): who asked what, when, each stored record
// before → after, and the seats it moved. Oldest first, as the server pages
// it; "Newest" follows the cursors to the last page.
import { h, replace } from "../ui/dom.js";
import { count, fmt } from "../ui/format.js";
import type { LogChange, LogEntry, LogSeatChange } from "./api.js";
import {
  type Ctx,
  type View,
  accountLink,
  failed,
  isAbort,
  loading,
  nodeHref,
  table,
} from "./common.js";

const PAGE = 50;

function at(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
const show = (v: unknown): string =>
  v === undefined
    ? "—"
    : v === null
      ? "none"
      : typeof v === "string"
        ? ISO.test(v)
          ? at(v)
          : v
        : JSON.stringify(v);

function nodeCode(node: string): HTMLElement {
  const link = nodeHref(node);
  return link ? h("a", { href: link }, h("code", {}, node)) : h("code", {}, node);
}

/** The request in a line. */
function what(entry: LogEntry): (HTMLElement | string)[] {
  const r = entry.request;
  switch (r.op) {
    case "set":
      return [
        "set ",
        h("code", {}, String(r.feature)),
        " at ",
        nodeCode(String(r.node)),
        " to ",
        h("strong", {}, String(r.value)),
      ];
    case "connect":
      return [
        "connect of ",
        accountLink(String(r.account)),
        " to ",
        h("code", {}, String(r.feature)),
      ];
    case "licence": {
      const lic = r.licence as {
        mailboxes: number | null;
        features: Record<string, { seats: number | null }>;
      };
      const seats = Object.entries(lic.features)
        .map(([f, x]) => `${f} ${x.seats === null ? "unlimited" : fmt(x.seats)}`)
        .join(", ");
      return [
        `licence: ${lic.mailboxes === null ? "unlimited" : fmt(lic.mailboxes)} mailboxes; seats ${seats || "none"} — `,
        r.signedBy ? `signed by ${String(r.signedBy).slice(0, 12)}…` : "unsigned",
      ];
    }
    case "create":
      return ["create account ", accountLink(String(r.account)), ` (${String(r.type)})`];
    case "delete":
      return ["delete account ", h("span", { class: "mono" }, String(r.account))];
    case "set-type":
      return ["make ", accountLink(String(r.account)), ` ${String(r.type)}`];
    case "restore-capped":
      return ["restore capped accounts of ", h("code", {}, String(r.feature))];
    case "create-domain":
      return ["create domain ", h("code", {}, String(r.domain))];
    case "create-class":
      return ["create class ", h("code", {}, `${String(r.domain)}/${String(r.class)}`)];
    case "import":
      return [
        `import a scenario${r.replace ? ", replacing the store" : ""} (${count(Number(r.keysWritten), "key")} written)`,
      ];
    default:
      return [JSON.stringify(r)];
  }
}

/** A stored record's change as lines: `settings.activesync: inherit → disabled`. */
function diff(change: LogChange): string[] {
  const { before, after } = change;
  if (before === null) return [`created: ${show(after)}`];
  if (after === null) return ["deleted"];
  if (typeof before !== "object" || typeof after !== "object")
    return [`${show(before)} → ${show(after)}`];
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const lines: string[] = [];
  for (const key of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
    if (JSON.stringify(b[key]) === JSON.stringify(a[key])) continue;
    const bo = b[key];
    const ao = a[key];
    if (
      bo &&
      ao &&
      typeof bo === "object" &&
      typeof ao === "object" &&
      !Array.isArray(bo) &&
      !Array.isArray(ao)
    ) {
      const bi = bo as Record<string, unknown>;
      const ai = ao as Record<string, unknown>;
      for (const k of [...new Set([...Object.keys(bi), ...Object.keys(ai)])].sort()) {
        if (JSON.stringify(bi[k]) === JSON.stringify(ai[k])) continue;
        const fallback = key === "settings" ? "inherit" : undefined;
        lines.push(`${key}.${k}: ${show(bi[k] ?? fallback)} → ${show(ai[k] ?? fallback)}`);
      }
    } else {
      lines.push(`${key}: ${show(bo)} → ${show(ao)}`);
    }
  }
  return lines.length ? lines : ["(unchanged)"];
}

function seatLine(s: LogSeatChange): HTMLElement {
  const good = s.change === "claimed" || s.change === "uncapped";
  const bad = s.change === "released" || s.change === "capped";
  return h(
    "li",
    { class: good ? "gain" : bad ? "loss" : "", "data-seat-change": s.change },
    good ? "+ " : bad ? "− " : "· ",
    accountLink(s.account),
    ` ${s.change}`,
    s.via ? ` (via ${s.via})` : "",
    " ",
    h("code", { class: "note" }, s.feature),
  );
}

function changesCell(entry: LogEntry): HTMLElement {
  const items = entry.changes.map((c) => h("li", {}, nodeCode(c.node), ": ", diff(c).join("; ")));
  if (items.length === 0) return h("span", { class: "note" }, "—");
  if (items.length <= 4) return h("ul", { class: "plain" }, items);
  return h(
    "details",
    {},
    h("summary", {}, `${count(items.length, "record")} changed`),
    h("ul", { class: "plain" }, items),
  );
}

function seatsCell(entry: LogEntry): HTMLElement {
  const items = entry.seats.map(seatLine);
  if (items.length === 0) return h("span", { class: "note" }, "—");
  if (items.length <= 4) return h("ul", { class: "plain" }, items);
  return h(
    "details",
    {},
    h("summary", {}, `${count(items.length, "seat change")}`),
    h("ul", { class: "plain" }, items),
  );
}

/** #/admin/log */
export const logView: View = async (ctx: Ctx, root) => {
  const body = h("div", { "aria-live": "polite" });
  const pager = h("div", { class: "row pager" });
  replace(
    root,
    h("h1", { tabindex: "-1" }, "Audit log"),
    h(
      "p",
      { class: "note" },
      `Every change, recorded together with the change itself: when, who made it, what was asked, what it changed (before → after) and the seats it gave or took. Oldest first, ${PAGE} per page; “Newest” jumps to the last page.`,
      ctx.scope ? ` You see ${ctx.scope}'s part of each entry only.` : "",
    ),
    pager,
    body,
  );
  // `stack[i]` is the `after` cursor of page i; the current page is the last.
  let stack: (string | undefined)[] = [undefined];
  let controller: AbortController | undefined;

  const draw = (items: LogEntry[], next: string | null) => {
    replace(
      body,
      items.length === 0
        ? h("p", { class: "note" }, "No entry.")
        : table(
            "Change log entries",
            ["When", "Who", "What", "Before → after", "Seats moved"],
            items.map((e) =>
              h(
                "tr",
                { "data-log": e.id, "data-op": e.request.op },
                h("td", { class: "nowrap" }, at(e.at)),
                h("td", {}, h("code", {}, e.actor)),
                h("td", {}, what(e)),
                h("td", { class: "changes" }, changesCell(e)),
                h("td", {}, seatsCell(e)),
              ),
            ),
            { "data-list": "log" },
          ),
    );
    const first = h(
      "button",
      { type: "button", class: "secondary", disabled: stack.length === 1 },
      "Oldest",
    );
    const prev = h(
      "button",
      { type: "button", class: "secondary", disabled: stack.length === 1 },
      "Previous page",
    );
    const newer = h("button", { type: "button", class: "secondary", disabled: !next }, "Next page");
    const newest = h(
      "button",
      { type: "button", class: "secondary", disabled: !next, "data-log-newest": "" },
      "Newest",
    );
    first.addEventListener("click", () => {
      stack = [undefined];
      void load();
    });
    prev.addEventListener("click", () => {
      stack.pop();
      void load();
    });
    newer.addEventListener("click", () => {
      stack.push(next ?? undefined);
      void load();
    });
    newest.addEventListener("click", () => void jump());
    replace(
      pager,
      first,
      prev,
      newer,
      newest,
      h("span", { class: "note" }, `Page ${fmt(stack.length)}`),
    );
  };

  const fresh = () => {
    controller?.abort();
    controller = new AbortController();
    return AbortSignal.any([ctx.signal, controller.signal]);
  };

  const load = async () => {
    const signal = fresh();
    replace(body, loading());
    try {
      const after = stack.at(-1);
      const page = await ctx.api.log(
        { ...(after === undefined ? {} : { after }), limit: PAGE },
        signal,
      );
      draw(page.items, page.next);
    } catch (e) {
      if (!isAbort(e)) replace(body, failed(e));
    }
  };

  // Follows the server's cursors page by page to the last one (the cursors are opaque), so "Previous page" works from there.
  const jump = async () => {
    const signal = fresh();
    const status = loading("Walking to the newest entries…");
    replace(body, status);
    try {
      const cursors: (string | undefined)[] = [undefined];
      let read = 0;
      for (;;) {
        const after = cursors.at(-1);
        const page = await ctx.api.log(
          { ...(after === undefined ? {} : { after }), limit: PAGE },
          signal,
        );
        read += page.items.length;
        status.textContent = `Walking to the newest entries… ${count(read, "entry", "entries")} read`;
        if (!page.next) {
          if (page.items.length === 0 && cursors.length > 1) {
            cursors.pop();
            stack = cursors;
            await load();
            return;
          }
          stack = cursors;
          draw(page.items, null);
          return;
        }
        cursors.push(page.next);
      }
    } catch (e) {
      if (!isAbort(e)) replace(body, failed(e));
    }
  };

  await load();
};
