// Accounts: generated blocks (`<prefix>1@domain` … `<prefix>N@domain`) and
// listed accounts typed or pasted one per line; plus what a loaded file
// brought that the forms keep as loaded (a huge account list, its events,
// its recorded seat ledgers).
import type { AccountType } from "../../../js/src/types.js";
import { field, h } from "../ui/dom.js";
import { count, fmt } from "../ui/format.js";
import { VirtualList } from "../ui/virtual-list.js";
import { button, numberInput, selectInput, textInput, type FormContext } from "./controls.js";

const TYPES = [
  ["premium", "premium"],
  ["basic", "basic (no capped add-ons)"],
] as const;

export function accountsPanel(ctx: FormContext): HTMLElement {
  const d = ctx.state.draft;
  const domainNames = d.domains.map((x) => x.name).filter(Boolean);
  const rows = d.generate.map((g, i) => {
    const classes =
      d.domains
        .find((x) => x.name === g.domain)
        ?.classes.map((c) => c.name)
        .filter(Boolean) ?? [];
    return h(
      "div",
      { class: "row sim-generate", "data-generate": i },
      field(
        "Domain",
        selectInput(
          domainNames.map((n) => [n, n] as const),
          g.domain,
          (v) => {
            g.domain = v;
            ctx.changed(true);
          },
        ),
      ),
      field(
        "Count",
        numberInput(g.count, (v) => {
          g.count = v;
          ctx.changed();
        }),
      ),
      field(
        "Prefix",
        textInput(g.prefix, (v) => {
          g.prefix = v;
          ctx.changed();
        }),
        `${g.prefix || "user"}1@${g.domain || "domain"} …`,
      ),
      field(
        "Type",
        selectInput<AccountType>(TYPES, g.type, (v) => {
          g.type = v;
          ctx.changed();
        }),
      ),
      field(
        "Class",
        selectInput(
          [["", "(none)"] as const, ...classes.map((c) => [c, c] as const)],
          g.class,
          (v) => {
            g.class = v;
            ctx.changed();
          },
        ),
      ),
      button(
        "Remove",
        () => {
          d.generate.splice(i, 1);
          ctx.changed(true);
        },
        { "aria-label": `Remove generated block ${i + 1}` },
      ),
    );
  });

  let listed: HTMLElement;
  if (d.bulkAccounts) {
    const list = new VirtualList<{ id: string }>({
      rowHeight: 30,
      height: 200,
      label: "Listed accounts from the file",
      render: (a) => h("div", {}, String(a.id)),
    });
    list.setItems(d.bulkAccounts);
    listed = h(
      "div",
      {},
      h(
        "p",
        {},
        `${count(d.bulkAccounts.length, "listed account")} from the loaded file, kept as loaded (too many to edit here; change the file and load it again).`,
      ),
      list.element,
      button("Remove these accounts", () => {
        d.bulkAccounts = null;
        ctx.changed(true);
      }),
    );
  } else {
    const area = h("textarea", {
      rows: 6,
      spellcheck: "false",
      "aria-describedby": "sim-accounts-hint",
      placeholder: "boss@example.com premium class=sales activesync=enabled",
    });
    area.value = d.accountsText;
    area.addEventListener("input", () => {
      d.accountsText = area.value;
      ctx.changed();
    });
    listed = field("Listed accounts, one per line", area);
    listed.append(
      h(
        "small",
        { class: "hint", id: "sim-accounts-hint" },
        "id, then optionally premium or basic, class=<name>, and <feature>=inherit|enabled|disabled for the account's own setting. Separate with spaces or commas.",
      ),
    );
  }

  return h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-accounts" },
    h("h2", { id: "sim-h-accounts" }, "Accounts"),
    h("h3", {}, "Generated"),
    rows.length ? rows : h("p", { class: "note" }, "No generated accounts."),
    button("Add generated block", () => {
      d.generate.push({
        domain: domainNames[0] ?? "",
        count: "100",
        prefix: d.generate.length ? `group${d.generate.length + 1}-user` : "user",
        type: "premium",
        class: "",
      });
      ctx.changed(true);
    }),
    ctx.slots.slot("generate"),
    h("h3", {}, "Listed"),
    listed,
    ctx.slots.slot("accounts"),
  );
}

/** The loaded file's own events and recorded seat ledgers, if it had any. */
export function loadedPanel(ctx: FormContext): HTMLElement | null {
  const d = ctx.state.draft;
  const seats = Object.entries(d.seats ?? {});
  if (d.events.length === 0 && seats.length === 0) return null;
  const ops = new Map<string, number>();
  for (const e of d.events) {
    const op = String((e as { op?: unknown })?.op ?? "?");
    ops.set(op, (ops.get(op) ?? 0) + 1);
  }
  return h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-loaded" },
    h("h2", { id: "sim-h-loaded" }, "From the loaded file"),
    d.events.length
      ? h(
          "div",
          {},
          h(
            "p",
            {},
            `${count(d.events.length, "event")} (${[...ops].map(([op, n]) => `${op}: ${fmt(n)}`).join(", ")}), run in file order before the timeline's connects.`,
          ),
          button("Remove the file's events", () => {
            d.events = [];
            ctx.changed(true);
          }),
        )
      : null,
    ctx.slots.slot("events"),
    seats.length
      ? h(
          "div",
          {},
          h(
            "p",
            {},
            "Recorded state (seats already held when the run starts): ",
            seats
              .map(
                ([f, s]) =>
                  `${f}: ${count(s?.holders?.length ?? 0, "holder")}, ${fmt(s?.waitlist?.length ?? 0)} waiting`,
              )
              .join("; "),
            ".",
          ),
          button("Start with no seats held", () => {
            d.seats = null;
            ctx.changed(true);
          }),
        )
      : null,
    ctx.slots.slot("recorded"),
  );
}
