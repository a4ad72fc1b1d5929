// Seats: every feature's use at a glance, and per feature the ledger as
// Axigen's "Premium Accounts" list shows it — holders in claim order with
// since / last seen / via — then the capped accounts (with R11's restore)
// and the waiting list (R12).
import { field, h, replace } from "../ui/dom.js";
import { count, fmt, pct, when } from "../ui/format.js";
import { why } from "../ui/rules.js";
import type { CappedAccount, FeatureSeats, FeatureUsage, Holder, Page, Policy } from "./api.js";
import {
  type Ctx,
  type View,
  accountLink,
  errorText,
  failed,
  href,
  isAbort,
  isServerAdmin,
  loading,
  seatNumber,
  stat,
  table,
} from "./common.js";
import { errorBox } from "../ui/dom.js";

const HOLDERS_PAGE = 100;
const LIST_PAGE = 100;

function meter(used: number, limit: number | null): HTMLElement | null {
  if (limit === null || limit === 0) return null;
  const m = h("meter", {
    min: "0",
    max: String(limit),
    value: String(Math.min(used, limit)),
    high: String(Math.max(0, limit - 1)),
    optimum: "0",
    "aria-label": "Seats used",
  });
  return h("div", { class: "meter" }, m, h("span", { class: "note" }, `${pct(used / limit)} used`));
}

function usageStats(
  u: { limit: number | null; used: number; free: number | null; waiting: number },
  feature: string,
): HTMLElement {
  return h(
    "div",
    { class: "stats", "data-seats": feature },
    stat("Seats used", fmt(u.used), { "data-stat": "used" }),
    stat("Seats free", u.free === null ? "unlimited" : fmt(u.free), { "data-stat": "free" }),
    stat("Licence limit", seatNumber(u.limit), { "data-stat": "limit" }),
    stat("Waiting", fmt(u.waiting), { "data-stat": "waiting" }),
  );
}

/** #/admin/seats */
export const seatsOverview: View = async (ctx, root) => {
  const { features } = await ctx.api.seats(ctx.signal);
  replace(
    root,
    h("h1", { tabindex: "-1" }, "Seats"),
    h(
      "p",
      { class: "note" },
      "Seats go first come, first served: the first accounts to connect get them and keep them until an administrator disables them",
      ...why(4),
      ". ",
      ctx.scope ? `Counts are for the whole licence; lists show ${ctx.scope} only.` : "",
    ),
    features.length === 0 ? h("p", { class: "note" }, "The licence names no feature.") : null,
    features.map((u: FeatureUsage) =>
      h(
        "section",
        { class: "panel", "aria-labelledby": `seat-h-${u.feature}` },
        h(
          "h2",
          { id: `seat-h-${u.feature}` },
          h("a", { href: href.seats(u.feature) }, h("code", {}, u.feature)),
        ),
        usageStats(u, u.feature),
        meter(u.used, u.limit),
        u.limit !== null && u.used > u.limit
          ? h(
              "p",
              {},
              h(
                "span",
                { class: "badge warn" },
                `${fmt(u.used - u.limit)} over the limit: holders kept their seats when the licence shrank`,
              ),
              ...why(10),
            )
          : null,
        h(
          "p",
          {},
          h(
            "a",
            { href: href.seats(u.feature), class: "button secondary" },
            `Holders, capped and waiting for ${u.feature}`,
          ),
        ),
      ),
    ),
  );
};

/** #/admin/seats/:feature */
export const featureSeatsView: View = async (ctx, root) => {
  const feature = ctx.route.path[1] ?? "";
  const [seats, licence] = await Promise.all([
    ctx.api.featureSeats(feature, ctx.signal),
    ctx.api.licence(ctx.signal),
  ]);
  const holders = h("section", { class: "panel", "aria-labelledby": "holders-h" });
  const capped = h("section", { class: "panel", "aria-labelledby": "capped-h" });
  const waiting = h("section", { class: "panel", "aria-labelledby": "waiting-h" });
  replace(
    root,
    h("p", { class: "crumbs" }, h("a", { href: href.seats() }, "Seats"), " › ", feature),
    h("h1", { tabindex: "-1" }, h("code", {}, feature), " seats"),
    usageStats(seats, feature),
    meter(seats.used, seats.limit),
    ctx.scope
      ? h(
          "p",
          { class: "note scope-note" },
          `Counts are for the whole licence; the lists below show ${ctx.scope} only.`,
        )
      : null,
    holders,
    h("div", { class: "grid" }, capped, waiting),
  );
  holderList(holders, seats);
  await Promise.all([
    cappedList(ctx, capped, feature, licence.policy),
    waitList(ctx, waiting, feature, licence.policy),
  ]);
};

function holderList(root: HTMLElement, seats: FeatureSeats): void {
  const filter = h("input", {
    type: "search",
    name: "filter",
    autocomplete: "off",
    spellcheck: "false",
  });
  const body = h("div", {});
  const pager = h("div", { class: "row pager" });
  let shown = HOLDERS_PAGE;
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    // Claim order is the ledger's; the position is kept when filtering.
    const all = seats.holders.map((holder, i) => ({ holder, position: i + 1 }));
    const matching = q ? all.filter((x) => x.holder.account.includes(q)) : all;
    const page = matching.slice(0, shown);
    replace(
      body,
      matching.length === 0
        ? h(
            "p",
            { class: "note" },
            q
              ? `No holder matches “${q}”.`
              : "Nobody holds a seat yet: an account with the feature enabled gets one when it first connects.",
          )
        : table(
            `Holders of ${seats.feature}, first to connect first`,
            [{ text: "#", class: "num" }, "Account", "Since", "Last seen", "Via"],
            page.map(({ holder, position }: { holder: Holder; position: number }) =>
              h(
                "tr",
                { "data-holder": holder.account },
                h("td", { class: "num" }, fmt(position)),
                h("th", { scope: "row" }, accountLink(holder.account)),
                h("td", {}, when(holder.since)),
                h("td", {}, when(holder.lastSeen)),
                h("td", {}, h("span", { class: `badge via-${holder.via}` }, holder.via)),
              ),
            ),
            { "data-list": "holders" },
          ),
    );
    const more = h(
      "button",
      { type: "button", class: "secondary" },
      `Show ${fmt(Math.min(HOLDERS_PAGE, matching.length - shown))} more`,
    );
    more.addEventListener("click", () => {
      shown += HOLDERS_PAGE;
      draw();
    });
    replace(
      pager,
      h(
        "span",
        { class: "note" },
        `Showing ${fmt(page.length)} of ${count(matching.length, "holder")}`,
      ),
      matching.length > shown ? more : null,
    );
  };
  filter.addEventListener("input", () => {
    shown = HOLDERS_PAGE;
    draw();
  });
  replace(
    root,
    h("h2", { id: "holders-h" }, `Holders (${fmt(seats.holders.length)})`),
    h(
      "p",
      { class: "note" },
      "First to connect first: they keep their seats until an administrator disables them",
      ...why(4, 7),
      ". Via says how the seat was taken: connect (the account connected), admin (an administrator enabled it) or waitlist (it waited for a freed seat).",
    ),
    h("div", { class: "row" }, field("Filter holders", filter, "Part of an account id")),
    body,
    pager,
  );
  draw();
}

/**
 * A list that grows a page at a time from a cursor API (capped, waiting):
 * `load()` fetches the page after the last cursor and redraws with the
 * "Load more" button while there is more; a failure shows in `footer`.
 */
function growingList<T>(
  footer: HTMLElement,
  fetchPage: (cursor: string | null) => Promise<Page<T>>,
  draw: (items: readonly T[], more: HTMLButtonElement | null) => void,
): { items: readonly T[]; load: () => Promise<void>; complete: () => boolean } {
  const items: T[] = [];
  let next: string | null = null;
  const more = h("button", { type: "button", class: "secondary" }, "Load more");
  const load = async () => {
    try {
      const page = await fetchPage(next);
      items.push(...page.items);
      next = page.next;
      draw(items, next ? more : null);
    } catch (e) {
      if (!isAbort(e)) replace(footer, failed(e));
    }
  };
  more.addEventListener("click", () => void load());
  return { items, load, complete: () => next === null };
}

async function cappedList(
  ctx: Ctx,
  root: HTMLElement,
  feature: string,
  policy: Policy,
): Promise<void> {
  const body = h("div", {});
  const footer = h("div", { class: "row pager" });
  const action = h("div", { class: "restore" });
  replace(
    root,
    h("h2", { id: "capped-h" }, "Capped accounts"),
    h(
      "p",
      { class: "note" },
      "Accounts that connected when no seat was free: the cap set them to disabled",
      ...why(5),
      ". Once you change an account's setting yourself, it is no longer marked capped.",
    ),
    action,
    body,
    footer,
  );
  const list = growingList<CappedAccount>(
    footer,
    (cursor) =>
      ctx.api.capped(
        feature,
        { ...(cursor ? { after: cursor } : {}), limit: LIST_PAGE },
        ctx.signal,
      ),
    (rows, more) => {
      replace(
        body,
        rows.length === 0
          ? h("p", { class: "note", "data-list": "capped-empty" }, "No capped account.")
          : table(
              `Capped accounts of ${feature}`,
              ["Account", "Capped at"],
              rows.map((c) =>
                h(
                  "tr",
                  { "data-capped": c.account },
                  h("th", { scope: "row" }, accountLink(c.account)),
                  h("td", {}, when(c.at)),
                ),
              ),
              { "data-list": "capped" },
            ),
      );
      replace(
        footer,
        rows.length
          ? h("span", { class: "note" }, `${count(rows.length, "account")}${more ? " so far" : ""}`)
          : null,
        more,
      );
    },
  );
  const rows = list.items;
  replace(body, loading());
  await list.load();

  if (!isServerAdmin(ctx)) {
    replace(
      action,
      h(
        "p",
        { class: "note readonly-reason" },
        "Only a server administrator can restore capped accounts.",
      ),
    );
    return;
  }
  if (rows.length === 0) return;
  const start = h(
    "button",
    { type: "button", class: "secondary", "data-restore": "start" },
    "Restore capped accounts…",
  );
  start.addEventListener("click", () => {
    const confirm = h(
      "button",
      { type: "button", class: "danger", "data-restore": "confirm" },
      `Restore every capped account of ${feature}`,
    );
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const answer = h("div", { "aria-live": "polite" });
    const howMany = list.complete() ? fmt(rows.length) : `at least ${fmt(rows.length)}`;
    cancel.addEventListener("click", () => {
      replace(action, start);
      start.focus();
    });
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      try {
        await ctx.api.restoreCapped(feature);
        ctx.refresh({
          kind: "good",
          text: `Restored ${howMany} capped ${rows.length === 1 && list.complete() ? "account" : "accounts"} of ${feature}: they take their setting from the domain again and get a seat at their next connect if one is free.`,
        });
      } catch (e) {
        confirm.disabled = false;
        replace(answer, errorBox(`The server refused: ${errorText(e)}`));
      }
    });
    replace(
      action,
      h(
        "div",
        { class: "confirm panel", role: "group", "aria-label": "Confirm restore" },
        h(
          "p",
          {},
          `Restore ${howMany} capped accounts of ${feature}? Each goes back to the setting of its domain or class and gets a seat at its next connect, first come, first served${policy.overflow === "disable" ? "; once the seats are gone the cap disables the rest again" : ""}.`,
          ...why(11),
        ),
        h("div", { class: "row" }, confirm, cancel),
        answer,
      ),
    );
    confirm.focus();
  });
  replace(action, start);
}

async function waitList(
  ctx: Ctx,
  root: HTMLElement,
  feature: string,
  policy: Policy,
): Promise<void> {
  const body = h("div", {});
  const footer = h("div", { class: "row pager" });
  replace(
    root,
    h("h2", { id: "waiting-h" }, "Waiting list"),
    h(
      "p",
      { class: "note" },
      ...(policy.overflow === "waitlist"
        ? [
            "Overflow policy is waitlist: an account that connects when no seat is free waits here, in arrival order; a freed seat goes to the first one still allowed the feature",
            ...why(12),
            ".",
          ]
        : [
            "Overflow policy is disable: nobody waits; an account that connects when no seat is free is set to disabled instead",
            ...why(5),
            ".",
          ]),
    ),
    body,
    footer,
  );
  const list = growingList<string>(
    footer,
    (cursor) =>
      ctx.api.waitlist(
        feature,
        { offset: cursor ? Number(cursor) : 0, limit: LIST_PAGE },
        ctx.signal,
      ),
    (ids, more) => {
      replace(
        body,
        ids.length === 0
          ? h("p", { class: "note" }, "Nobody is waiting.")
          : table(
              `Waiting list of ${feature}`,
              [{ text: "#", class: "num" }, "Account"],
              ids.map((id, i) =>
                h(
                  "tr",
                  { "data-waiting": id },
                  h("td", { class: "num" }, fmt(i + 1)),
                  h("th", { scope: "row" }, accountLink(id)),
                ),
              ),
              { "data-list": "waiting" },
            ),
      );
      replace(footer, more);
    },
  );
  replace(body, loading());
  await list.load();
}
