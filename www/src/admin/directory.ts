// The directory: server → domains → classes → accounts. Each level shows
// every feature of the licence with its setting, effective value and the
// node it is inherited from (R1); accounts come a page at a time, with a
// search by id, each showing whether it holds a seat or is capped.
import { field, h, replace } from "../ui/dom.js";
import { fmt, when } from "../ui/format.js";
import { why, whyRule, withRuleLinks } from "../ui/rules.js";
import { reasonText } from "../ui/words.js";
import { ApiError, type AccountSummary, type DirectoryView } from "./api.js";
import {
  type Ctx,
  type View,
  accountLink,
  domainOf,
  failed,
  href,
  isAbort,
  isServerAdmin,
  loading,
  nodeText,
  resolve,
  sentence,
  settingBadge,
  table,
} from "./common.js";
import { settingsTable } from "./settings.js";

const PAGE = 50;

/** The tree beside every directory view; `at` marks the current node. */
function tree(ctx: Ctx, dir: DirectoryView, at: { domain?: string; klass?: string }): HTMLElement {
  const current = (is: boolean) => (is ? "page" : null);
  const domains = Object.keys(dir.domains).sort();
  return h(
    "nav",
    { class: "tree panel", "aria-label": "Directory tree" },
    h("h2", { class: "tree-title" }, "Directory"),
    h(
      "ul",
      {},
      h(
        "li",
        {},
        h(
          "a",
          { href: href.directory(), "aria-current": current(!at.domain) },
          isServerAdmin(ctx) ? "Server" : "Server (defaults)",
        ),
        h(
          "ul",
          {},
          domains.map((d) =>
            h(
              "li",
              {},
              h(
                "a",
                {
                  href: href.domain(d),
                  "aria-current": current(at.domain === d && !at.klass),
                  "data-domain": d,
                },
                d,
              ),
              Object.keys(dir.domains[d]!.classes).length
                ? h(
                    "ul",
                    {},
                    Object.keys(dir.domains[d]!.classes)
                      .sort()
                      .map((c) =>
                        h(
                          "li",
                          {},
                          h(
                            "a",
                            {
                              href: href.klass(d, c),
                              "aria-current": current(at.domain === d && at.klass === c),
                            },
                            `class ${c}`,
                          ),
                        ),
                      ),
                  )
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

async function basics(ctx: Ctx): Promise<{ dir: DirectoryView; features: string[] }> {
  const [dir, licence] = await Promise.all([
    ctx.api.directory(ctx.signal),
    ctx.api.licence(ctx.signal),
  ]);
  return { dir, features: Object.keys(licence.licence.features).sort() };
}

function layout(aside: HTMLElement, ...main: (HTMLElement | null)[]): HTMLElement {
  return h("div", { class: "dir-layout" }, aside, h("div", { class: "dir-main" }, main));
}

/** #/admin/directory: the server's settings and the domains. */
export const directoryView: View = async (ctx, root) => {
  const { dir, features } = await basics(ctx);
  const domains = Object.keys(dir.domains).sort();
  const serverRows = features.map((f) => {
    const r = resolve(dir, f, {});
    return {
      feature: f,
      setting: dir.server[f] ?? "disabled",
      effective: r.effective,
      source: r.source,
    };
  });
  replace(
    root,
    layout(
      tree(ctx, dir, {}),
      h("h1", { tabindex: "-1" }, "Directory"),
      h(
        "section",
        { class: "panel", "aria-labelledby": "server-h" },
        h("h2", { id: "server-h" }, "Server defaults"),
        h(
          "p",
          { class: "note" },
          "What every domain gets unless it sets its own value",
          ...why(1),
          ". A feature the server does not set is disabled.",
        ),
        settingsTable(ctx, {
          node: "server",
          caption: "Server settings",
          rows: serverRows,
          editable: isServerAdmin(ctx)
            ? true
            : "Only a server administrator can change the server's settings.",
        }),
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "domains-h" },
        h(
          "h2",
          { id: "domains-h" },
          ctx.scope ? "Your domain" : `Domains (${fmt(domains.length)})`,
        ),
        table(
          "Domains",
          ["Domain", "Classes", ...features.map((f) => `${f} (effective)`)],
          domains.map((d) =>
            h(
              "tr",
              { "data-domain": d },
              h("th", { scope: "row" }, h("a", { href: href.domain(d) }, d)),
              h("td", {}, fmt(Object.keys(dir.domains[d]!.classes).length)),
              features.map((f) => {
                const r = resolve(dir, f, { domain: d });
                return h(
                  "td",
                  {},
                  settingBadge(r.effective),
                  " ",
                  h(
                    "span",
                    { class: "note" },
                    r.source === `domain:${d}` ? "set here" : `from ${nodeText(r.source)}`,
                  ),
                );
              }),
            ),
          ),
        ),
        domains.length === 0 ? h("p", { class: "note" }, "No domain.") : null,
      ),
    ),
  );
};

/** #/admin/directory/:domain — and …/class/:class. */
export const domainView: View = async (ctx, root) => {
  const domain = (ctx.route.path[1] ?? "").toLowerCase();
  const klass = ctx.route.path[2] === "class" ? ctx.route.path[3] : undefined;
  const { dir, features } = await basics(ctx);
  const view = dir.domains[domain];
  if (!view) {
    replace(
      root,
      layout(
        tree(ctx, dir, {}),
        h("h1", { tabindex: "-1" }, domain),
        failed(
          new ApiError(
            404,
            "unknown-domain",
            ctx.scope && ctx.scope !== domain
              ? `you administer ${ctx.scope} only`
              : `there is no domain ${domain}`,
          ),
        ),
      ),
    );
    return;
  }
  if (klass !== undefined) {
    const settings = view.classes[klass];
    if (!settings) {
      replace(
        root,
        layout(
          tree(ctx, dir, { domain }),
          h("h1", { tabindex: "-1" }, `class ${klass}`),
          failed(new ApiError(404, "unknown-class", `there is no class ${klass} in ${domain}`)),
        ),
      );
      return;
    }
    const node = `class:${domain}/${klass}`;
    replace(
      root,
      layout(
        tree(ctx, dir, { domain, klass }),
        h(
          "h1",
          { tabindex: "-1" },
          "Class ",
          h("code", {}, klass),
          " of ",
          h("a", { href: href.domain(domain) }, domain),
        ),
        h(
          "section",
          { class: "panel" },
          h("h2", {}, "Class settings"),
          h(
            "p",
            { class: "note" },
            "Accounts of this class take these values before the domain's",
            ...why(1),
            ". A change here frees the seats of the accounts it turns off",
            ...why(8),
            ".",
          ),
          settingsTable(ctx, {
            node,
            caption: `Settings of class ${klass}`,
            rows: features.map((f) => {
              const r = resolve(dir, f, { domain, klass });
              return {
                feature: f,
                setting: settings[f] ?? "inherit",
                effective: r.effective,
                source: r.source,
              };
            }),
            editable: true,
          }),
        ),
      ),
    );
    return;
  }
  const node = `domain:${domain}`;
  const classes = Object.keys(view.classes).sort();
  const accounts = h("div", {});
  replace(
    root,
    layout(
      tree(ctx, dir, { domain }),
      h("h1", { tabindex: "-1" }, "Domain ", h("span", { class: "mono" }, domain)),
      h(
        "section",
        { class: "panel", "aria-labelledby": "dom-set-h" },
        h("h2", { id: "dom-set-h" }, "Domain settings"),
        settingsTable(ctx, {
          node,
          caption: `Settings of ${domain}`,
          rows: features.map((f) => {
            const r = resolve(dir, f, { domain });
            return {
              feature: f,
              setting: view.settings[f] ?? "inherit",
              effective: r.effective,
              source: r.source,
            };
          }),
          editable: true,
        }),
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "dom-cls-h" },
        h("h2", { id: "dom-cls-h" }, `Classes (${fmt(classes.length)})`),
        classes.length === 0
          ? h("p", { class: "note" }, "No account class: accounts inherit from the domain.")
          : table(
              `Classes of ${domain}`,
              ["Class", ...features.map((f) => `${f}`)],
              classes.map((c) =>
                h(
                  "tr",
                  {},
                  h("th", { scope: "row" }, h("a", { href: href.klass(domain, c) }, c)),
                  features.map((f) => {
                    const r = resolve(dir, f, { domain, klass: c });
                    const own = view.classes[c]![f] ?? "inherit";
                    return h(
                      "td",
                      {},
                      settingBadge(r.effective),
                      " ",
                      h(
                        "span",
                        { class: "note" },
                        own === "inherit" ? `from ${nodeText(r.source)}` : "set here",
                      ),
                    );
                  }),
                ),
              ),
            ),
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "dom-acc-h" },
        h("h2", { id: "dom-acc-h" }, "Accounts"),
        accounts,
      ),
    ),
  );
  await accountList(ctx, accounts, dir, domain, features);
};

/** A domain's accounts, a page at a time, with a search by id. */
async function accountList(
  ctx: Ctx,
  root: HTMLElement,
  dir: DirectoryView,
  domain: string,
  features: string[],
): Promise<void> {
  // Seat holders, to mark each listed account (a domain administrator reads its own domain's).
  const holders = new Map<string, Set<string>>();
  await Promise.all(
    features.map(async (f) => {
      const seats = await ctx.api.featureSeats(f, ctx.signal);
      holders.set(f, new Set(seats.holders.map((x) => x.account)));
    }),
  );
  const search = h("input", {
    type: "search",
    name: "q",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: `user12 or user12@${domain}`,
  });
  const find = h("button", { type: "submit" }, "Find");
  const clear = h("button", { type: "button", class: "secondary" }, "Show all");
  const form = h(
    "form",
    { class: "row", role: "search" },
    field(
      "Find accounts by id",
      search,
      "Accounts whose id starts with this; a full id opens the account.",
    ),
    find,
    clear,
  );
  const list = h("div", { "aria-live": "polite" });
  const pager = h("div", { class: "row pager" });
  replace(root, form, list, pager);

  const cursors: (string | undefined)[] = [undefined];
  let prefix = "";
  let controller: AbortController | undefined;

  const load = async (index: number) => {
    controller?.abort();
    controller = new AbortController();
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    replace(list, loading());
    try {
      const after = cursors[index] ?? (prefix ? prefix : undefined);
      const page = await ctx.api.accounts(
        domain,
        { ...(after === undefined ? {} : { after }), limit: PAGE },
        signal,
      );
      let items = page.items;
      let next = page.next;
      if (prefix) {
        const matching = items.filter((a) => a.id.startsWith(prefix));
        if (matching.length < items.length) next = null;
        items = matching;
      }
      cursors.length = index + 1;
      if (next) cursors.push(next);
      replace(list, rowsTable(items, index));
      const prev = h(
        "button",
        { type: "button", class: "secondary", disabled: index === 0 },
        "Previous page",
      );
      const more = h(
        "button",
        { type: "button", class: "secondary", disabled: !next },
        "Next page",
      );
      prev.addEventListener("click", () => void load(index - 1));
      more.addEventListener("click", () => void load(index + 1));
      replace(
        pager,
        prev,
        more,
        h("span", { class: "note" }, `Page ${fmt(index + 1)} · ${PAGE} per page · alphabetical`),
      );
    } catch (e) {
      if (isAbort(e)) return;
      replace(list, failed(e));
    }
  };

  const rowsTable = (items: AccountSummary[], index: number) => {
    if (items.length === 0)
      return h(
        "p",
        { class: "note", "data-empty": "" },
        prefix ? `No account of ${domain} starts with “${prefix}”.` : "No account.",
      );
    return table(
      `Accounts of ${domain}, page ${index + 1}`,
      [
        "Account",
        { text: "Type", class: "hide-narrow" },
        { text: "Class", class: "hide-narrow" },
        ...features,
      ],
      items.map((a) =>
        h(
          "tr",
          { "data-account": a.id },
          h("th", { scope: "row" }, accountLink(a.id)),
          h("td", { class: "hide-narrow" }, a.type),
          h("td", { class: "hide-narrow" }, a.class ?? "—"),
          features.map((f) => {
            const node = `account:${a.id}`;
            const r = resolve(dir, f, {
              domain,
              ...(a.class ? { klass: a.class } : {}),
              account: a.settings,
              accountNode: node,
            });
            const seat = holders.get(f)?.has(a.id);
            const capped = a.capped[f];
            return h(
              "td",
              { "data-feature": f },
              settingBadge(r.effective),
              " ",
              h(
                "span",
                { class: "note" },
                r.source === node ? "set here" : `from ${nodeText(r.source)}`,
              ),
              seat ? [" ", h("span", { class: "badge good", "data-seat": "" }, "seat")] : null,
              capped
                ? [
                    " ",
                    h(
                      "span",
                      { class: "badge warn", title: `capped ${when(capped)}`, "data-capped": "" },
                      "capped",
                    ),
                  ]
                : null,
              a.type === "basic" ? [" ", h("span", { class: "badge" }, "basic: no seat")] : null,
            );
          }),
        ),
      ),
    );
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = search.value.trim().toLowerCase();
    if (q.includes("@")) {
      location.hash = href.account(q);
      return;
    }
    prefix = q;
    cursors.length = 1;
    void load(0);
  });
  clear.addEventListener("click", () => {
    search.value = "";
    prefix = "";
    cursors.length = 1;
    void load(0);
  });
  await load(0);
}

/** #/admin/accounts/:id */
export const accountView: View = async (ctx, root) => {
  const id = (ctx.route.path[1] ?? "").toLowerCase();
  const [account, licence] = await Promise.all([
    ctx.api.account(id, ctx.signal),
    ctx.api.licence(ctx.signal),
  ]);
  const features = Object.keys(licence.licence.features).sort();
  const domain = domainOf(id);
  const node = `account:${account.id}`;
  const explainOut = h("div", { class: "explain-out", "aria-live": "polite" });
  const rows = features.map((f) => {
    const x = account.features[f]!;
    const explain = h(
      "button",
      { type: "button", class: "secondary small", "aria-label": `Explain ${f} for ${account.id}` },
      "Why?",
    );
    explain.addEventListener("click", async () => {
      replace(explainOut, loading("Asking the server…"));
      try {
        const e = await ctx.api.explain(account.id, f, ctx.signal);
        replace(
          explainOut,
          h(
            "div",
            { class: "panel explain" },
            h(
              "h3",
              {},
              "Why ",
              h("code", {}, f),
              ": ",
              e.decision.allowed
                ? h("span", { class: "gain" }, `if it connects now, it is allowed`)
                : h("span", { class: "loss" }, `if it connects now, it is refused`),
              h("span", { class: "note" }, ` (${reasonText(e.decision.reason)})`),
            ),
            h("p", {}, ...withRuleLinks(sentence(e.why)), ...whyRule(e.rule)),
            h("p", { class: "note" }, "Where the setting comes from, the account first:"),
            h(
              "ol",
              { class: "chain", "aria-label": "Where the setting comes from" },
              e.chain.map((link) =>
                h(
                  "li",
                  {},
                  nodeText(link.node),
                  ": ",
                  link.setting,
                  link.capped ? ` (set by the cap ${when(link.capped)})` : "",
                ),
              ),
            ),
            h(
              "p",
              { class: "note" },
              `Seats: ${fmt(e.holders)} held of ${e.limit === null ? "unlimited" : fmt(e.limit)}.`,
            ),
          ),
        );
      } catch (err) {
        if (!isAbort(err)) replace(explainOut, failed(err));
      }
    });
    return {
      feature: f,
      setting: x.setting,
      effective: x.effective,
      source: x.source,
      extra: [
        x.seat
          ? h(
              "span",
              { "data-seat": "held" },
              h("span", { class: "badge good" }, "held"),
              " ",
              h(
                "span",
                { class: "note" },
                `since ${when(x.seat.since)} via ${x.seat.via}, last seen ${when(x.seat.lastSeen)}`,
              ),
            )
          : h(
              "span",
              { class: "note", "data-seat": "none" },
              account.type === "basic" ? "none (basic account)" : "none",
            ),
        x.cappedAt
          ? h("span", { class: "badge warn", "data-capped": "" }, `capped ${when(x.cappedAt)}`)
          : h("span", { class: "note" }, "—"),
        x.waiting
          ? h("span", { class: "badge warn" }, "waiting")
          : h("span", { class: "note" }, "—"),
        explain,
      ],
    };
  });
  replace(
    root,
    h(
      "p",
      { class: "crumbs" },
      h("a", { href: href.directory() }, "Directory"),
      " › ",
      h("a", { href: href.domain(domain) }, domain),
      account.class
        ? [" › ", h("a", { href: href.klass(domain, account.class) }, `class ${account.class}`)]
        : null,
    ),
    h("h1", { tabindex: "-1", class: "mono account-id" }, account.id),
    h(
      "dl",
      { class: "facts-list" },
      h("dt", {}, "Type"),
      h(
        "dd",
        {},
        account.type,
        account.type === "basic"
          ? h("span", { class: "note" }, " — capped add-ons only take effect for premium accounts")
          : null,
      ),
      h("dt", {}, "Class"),
      h(
        "dd",
        {},
        account.class
          ? h("a", { href: href.klass(domain, account.class) }, account.class)
          : "none (takes its settings from the domain)",
      ),
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "acc-f-h" },
      h("h2", { id: "acc-f-h" }, "Features"),
      settingsTable(ctx, {
        node,
        caption: `Features of ${account.id}`,
        rows,
        extraHead: ["Seat", "Capped", "Waiting", ""],
        editable: true,
      }),
      explainOut,
    ),
  );
};
