// The engine's codes in an administrator's words: directory nodes, connect
// reasons and the rule behind each (shown only as a link, www/src/ui/rules.ts).

/** What a connect's reason means, said plainly. */
export const REASON_TEXT: Record<string, string> = {
  "seat-held": "it already holds a seat",
  "seat-claimed": "it took a free seat",
  "seat-claimed-overage": "it took one of the licence's extra (overage) seats",
  disabled: "the feature is disabled for it",
  capped: "no seat was free, so the cap disabled it",
  "domain-capped": "its domain had used all the seats of its quota",
  waitlisted: "no seat was free: it waits for one",
  "not-premium": "it is a basic account: the feature needs a premium one",
  "unknown-account": "there is no such account",
  "unknown-feature": "the licence has no such feature",
  "licence-expired": "the licence has expired",
  "invalid-input": "the request was not valid",
};

/** The rule that gives each connect reason (docs/rules.md). */
export const REASON_RULE: Record<string, number> = {
  "seat-held": 3,
  "seat-claimed": 4,
  "seat-claimed-overage": 17,
  capped: 5,
  "domain-capped": 16,
  waitlisted: 12,
  disabled: 2,
  "not-premium": 2,
  "unknown-account": 2,
  "unknown-feature": 2,
  "licence-expired": 2,
};

export function reasonText(reason: string): string {
  return REASON_TEXT[reason] ?? reason;
}

/** A node in words: `server` → "the server defaults", `class:x.com/sales` → "class sales (x.com)". */
export function nodeText(node: string): string {
  if (node === "server") return "the server defaults";
  const colon = node.indexOf(":");
  const kind = node.slice(0, colon);
  const rest = node.slice(colon + 1);
  if (kind === "domain") return `domain ${rest}`;
  if (kind === "class") {
    const slash = rest.indexOf("/");
    return `class ${rest.slice(slash + 1)} (${rest.slice(0, slash)})`;
  }
  if (kind === "account") return `account ${rest}`;
  return node;
}
