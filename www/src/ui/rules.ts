// Links into the rules reference: docs/rules.md, built into rules.html beside
// the console's page (scripts/build.mjs), where each rule's heading carries an
// anchor `r1` … `r17`. The screens speak plainly; a rule number appears only
// as one of these small links, for the administrator who wants to know why.
import { h } from "./dom.js";

/** The rules reference, relative to the console's page (served beside index.html). */
export const RULES_PAGE = "rules.html";

export function ruleHref(rule: number): string {
  return `${RULES_PAGE}#r${rule}`;
}

/** A small "rule 7" link (or `text`) to one rule; it opens in a new tab, so the console keeps its place. */
export function ruleLink(rule: number, text = `rule ${rule}`): HTMLAnchorElement {
  return h(
    "a",
    {
      class: "rule-link",
      href: ruleHref(rule),
      target: "_blank",
      rel: "noopener",
      title: `Rule ${rule} in the rules reference (opens in a new tab)`,
      "data-rule-link": rule,
    },
    text,
  );
}

/** ` (why? rule 7)`-style aside: a space, then the links in parentheses. */
export function why(...rules: number[]): (Node | string)[] {
  const links = rules.flatMap((r, i) => (i === 0 ? [ruleLink(r)] : [", ", ruleLink(r)]));
  return [" (", ...links, ")"];
}

/** The rule an engine answer names (`"R5"`) as a ` (rule 5)` aside; nothing for anything else. */
export function whyRule(rule: string | null | undefined): (Node | string)[] {
  const m = /^R(\d{1,2})$/.exec(rule ?? "");
  return m ? why(Number(m[1])) : [];
}

/**
 * Text written elsewhere (the engine's explanations) with every rule number
 * in it ("R7") turned into a link to that rule, so no bare number is shown.
 */
export function withRuleLinks(text: string): (Node | string)[] {
  const out: (Node | string)[] = [];
  let last = 0;
  for (const m of text.matchAll(/\bR(\d{1,2})\b/g)) {
    out.push(text.slice(last, m.index));
    out.push(ruleLink(Number(m[1])));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out.filter((x) => x !== "");
}
