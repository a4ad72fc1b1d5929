// Why one account gets what it gets: the engine's explanation after the
// run — the inheritance chain up to the deciding node (R1), the seat, and
// the rule that decides a connect now, in words, the rule as a link.
import type { ExplainResult, Explanation } from "../../../js/src/types.js";
import { errorBox, field, h, replace } from "../ui/dom.js";
import { fmt, when } from "../ui/format.js";
import { ruleLink, why, withRuleLinks } from "../ui/rules.js";
import { nodeText, reasonText } from "../ui/words.js";
import { selectInput, textInput } from "./controls.js";
import type { JobFailure } from "./shared.js";

export interface ExplainHooks {
  /** The explanation; a refusal; a sentence when it could not run (another job is running); null when cancelled. */
  explain(account: string, feature: string): Promise<ExplainResult | JobFailure | string | null>;
  starter(b: HTMLButtonElement): HTMLButtonElement;
}

export function explanationView(x: Explanation): HTMLElement {
  const decided = x.decision;
  const rule = /^R(\d{1,2})$/.exec(x.rule)?.[1];
  return h(
    "div",
    { class: "sim-explanation", "data-explained": x.account },
    h("h3", {}, `${x.account} — ${x.feature}`),
    h(
      "p",
      {},
      h(
        "span",
        { class: `badge ${decided.allowed ? "good" : "bad"}`, "data-decision": decided.reason },
        `${decided.allowed ? "If it connects now, it is allowed" : "If it connects now, it is refused"}: ${reasonText(decided.reason)}`,
      ),
      rule ? [" ", h("span", { "data-rule": x.rule }, "Why? ", ruleLink(Number(rule)))] : null,
    ),
    h("p", { "data-why": "" }, ...withRuleLinks(x.why.charAt(0).toUpperCase() + x.why.slice(1))),
    h(
      "table",
      { class: "sim-chain" },
      h("caption", {}, "Where the setting comes from, the account first", ...why(1)),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Level"),
          h("th", { scope: "col" }, "Setting"),
          h("th", { scope: "col" }, "Note"),
        ),
      ),
      h(
        "tbody",
        {},
        x.chain.map((link) =>
          h(
            "tr",
            { class: link.node === x.source ? "sim-deciding" : "" },
            h("td", {}, nodeText(link.node)),
            h("td", {}, link.setting),
            h(
              "td",
              {},
              [
                link.node === x.source ? "Decides: the first level that sets a value." : "",
                link.capped ? `Set by the cap at ${when(link.capped)}.` : "",
              ]
                .filter(Boolean)
                .join(" ") || "—",
            ),
          ),
        ),
      ),
    ),
    h(
      "dl",
      { class: "sim-facts" },
      h("dt", {}, "Account type"),
      h("dd", {}, x.type ?? "unknown account"),
      h("dt", {}, "In effect"),
      h("dd", {}, x.effective ? `${x.effective} (from ${nodeText(x.source ?? "server")})` : "—"),
      h("dt", {}, "Seat"),
      h(
        "dd",
        {},
        x.seat
          ? `held since ${when(x.seat.since)} (via ${x.seat.via}), last seen ${when(x.seat.lastSeen)}`
          : x.waiting
            ? ["none — waiting for one", ...why(12)]
            : "none",
      ),
      h("dt", {}, "Seats held"),
      h("dd", {}, `${fmt(x.holders)} of ${x.limit === null ? "unlimited" : fmt(x.limit)}`),
    ),
  );
}

export function explainPanel(
  features: string[],
  hooks: ExplainHooks,
): { element: HTMLElement; explain(account: string, feature?: string): void } {
  let account = "";
  let feature = features[0] ?? "";
  const accountInput = textInput("", (v) => (account = v), {
    placeholder: "user1@example.com",
    "data-input": "explain-account",
  });
  const featureSelect = selectInput(
    features.map((f) => [f, f] as const),
    feature,
    (v) => (feature = v),
  );
  const out = h("div", { "aria-live": "polite" });
  const go = async () => {
    if (!account.trim()) {
      replace(out, errorBox("Enter an account id to explain."));
      return;
    }
    replace(out, h("p", { class: "note" }, `Replaying the run to explain ${account}…`));
    const r = await hooks.explain(account.trim(), feature);
    if (!r) replace(out, h("p", { class: "note" }, "The explanation was cancelled."));
    else if (typeof r === "string") replace(out, errorBox(r));
    else if (r.type === "success") replace(out, explanationView(r.explanation));
    else replace(out, errorBox(r.error.message));
  };
  const run = hooks.starter(h("button", { type: "button", "data-action": "explain" }, "Explain"));
  run.addEventListener("click", () => void go());
  const element = h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-explain" },
    h("h2", { id: "sim-h-explain" }, "Explain one account"),
    h(
      "p",
      { class: "hint" },
      "What the account would get if it connected after the run, where its setting comes from, and why. Or press Explain on any row above.",
    ),
    h(
      "div",
      { class: "row" },
      field("Account", accountInput),
      features.length > 1 ? field("Feature", featureSelect) : null,
      run,
    ),
    out,
  );
  return {
    element,
    explain: (id, f) => {
      account = id;
      accountInput.value = id;
      if (f) {
        feature = f;
        featureSelect.value = f;
      }
      element.scrollIntoView({ block: "nearest" });
      void go();
    },
  };
}
