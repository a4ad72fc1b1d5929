// The licence in force (mailboxes, seats per feature, expiry, policy) and
// who vouched for it; a server administrator uploads a new licence file
// (chosen or pasted) and sees the server's verdict on its signature.
import { errorBox, field, h, replace } from "../ui/dom.js";
import { fmt, when } from "../ui/format.js";
import { why } from "../ui/rules.js";
import type { Api } from "./api.js";
import {
  type Ctx,
  type View,
  errorText,
  isServerAdmin,
  seatNumber,
  stat,
  table,
} from "./common.js";

/** #/admin/licence */
export const licenceView: View = async (ctx, root) => {
  const current = h("section", { class: "panel", "aria-labelledby": "lic-now-h" });
  await drawCurrent(ctx, current);
  replace(
    root,
    h("h1", { tabindex: "-1" }, "Licence"),
    current,
    isServerAdmin(ctx)
      ? uploadForm(ctx.api, () => drawCurrent(ctx, current))
      : h(
          "section",
          { class: "panel" },
          h("h2", {}, "Upload a licence"),
          h(
            "p",
            { class: "note readonly-reason" },
            "Only a server administrator can upload a licence.",
          ),
        ),
  );
};

async function drawCurrent(ctx: Ctx, root: HTMLElement): Promise<void> {
  const [status, usage] = await Promise.all([
    ctx.api.licence(ctx.signal),
    ctx.api.seats(ctx.signal),
  ]);
  const { licence, policy } = status;
  const used = new Map(usage.features.map((u) => [u.feature, u]));
  const signature =
    status.signature === "verified"
      ? h(
          "span",
          { "data-signature": "verified" },
          h("span", { class: "badge good" }, "verified"),
          " signed by key ",
          h("code", { class: "key" }, status.signedBy ?? ""),
        )
      : h(
          "span",
          { "data-signature": "unsigned" },
          h("span", { class: "badge warn" }, "unsigned"),
          " — no vendor signed it: it was loaded in dev mode, or by an import",
        );
  const expired = licence.expires != null && Date.parse(licence.expires) <= Date.now();
  replace(
    root,
    h("h2", { id: "lic-now-h" }, "In force"),
    h(
      "div",
      { class: "stats" },
      stat("Mailboxes", licence.mailboxes == null ? "unlimited" : fmt(licence.mailboxes), {
        "data-stat": "mailboxes",
      }),
      stat("Features", fmt(Object.keys(licence.features).length)),
      stat("Expires", licence.expires ? when(licence.expires) : "never", {
        "data-stat": "expires",
      }),
    ),
    expired
      ? errorBox([
          "This licence has expired: every connection to a licensed feature is refused",
          ...why(2),
          ". You can still administer accounts; upload a new licence below.",
        ])
      : null,
    h("p", { class: "signature" }, h("strong", {}, "Signature: "), signature),
    h(
      "p",
      { class: "note" },
      status.since
        ? `Set ${when(status.since)}.`
        : "In force since the server's data was first loaded.",
    ),
    table(
      "Seats per feature",
      [
        "Feature",
        { text: "Seats", class: "num" },
        { text: "Used", class: "num" },
        { text: "Free", class: "num" },
      ],
      Object.entries(licence.features)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([f, x]) => {
          const u = used.get(f);
          return h(
            "tr",
            { "data-feature": f },
            h("th", { scope: "row" }, h("code", {}, f)),
            h("td", { class: "num", "data-col": "seats" }, seatNumber(x.seats)),
            h("td", { class: "num" }, u ? fmt(u.used) : "—"),
            h("td", { class: "num" }, u ? seatNumber(u.free) : "—"),
          );
        }),
    ),
    h("h3", {}, "Policy"),
    h(
      "dl",
      { class: "facts-list" },
      h("dt", {}, "Capping"),
      h(
        "dd",
        {},
        h("code", {}, policy.capping),
        policy.capping === "at-cap"
          ? " — when the last seat is taken, every other account with the feature enabled is disabled at once"
          : " — an account is capped when it connects and no seat is free",
        ...why(5),
      ),
      h("dt", {}, "Overflow"),
      h(
        "dd",
        {},
        h("code", {}, policy.overflow),
        ...(policy.overflow === "waitlist"
          ? [" — an account that finds no free seat waits for one", ...why(12)]
          : [" — an account that finds no free seat is set to disabled", ...why(5)]),
      ),
      h("dt", {}, "Shrink"),
      h(
        "dd",
        {},
        h("code", {}, policy.shrink),
        policy.shrink === "grandfather"
          ? " — when a new licence has fewer seats than holders, they all keep their seats"
          : policy.shrink === "evict-newest"
            ? " — when a new licence has fewer seats than holders, the latest to take a seat lose theirs first"
            : " — when a new licence has fewer seats than holders, those not seen for longest lose theirs first",
        ...why(10),
      ),
      h("dt", {}, "Restore on grow"),
      h(
        "dd",
        {},
        policy.restoreOnGrow
          ? "yes — a licence with more seats restores the capped accounts"
          : "no — capped accounts stay capped when a licence brings more seats, as in Axigen",
      ),
    ),
  );
}

function uploadForm(api: Api, uploaded: () => Promise<void>): HTMLElement {
  const file = h("input", { type: "file", name: "file", accept: ".json,application/json" });
  const text = h("textarea", {
    name: "licence",
    rows: 8,
    spellcheck: "false",
    placeholder:
      '{"mailboxes": 500, "features": {"activesync": {"seats": 200}}, "signature": {"key": "…", "value": "…"}}',
  });
  const submit = h("button", { type: "submit" }, "Upload licence");
  const answer = h("div", { class: "upload-answer", "aria-live": "polite" });
  // Edited text is no longer the chosen file's.
  text.addEventListener("input", () => {
    file.value = "";
  });
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (chosen) text.value = await chosen.text();
  });
  const form = h(
    "form",
    { class: "stack", "aria-labelledby": "lic-up-h" },
    field(
      "Licence file",
      file,
      "A vendor-signed licence file (JSON). Choosing one puts its text below.",
    ),
    field("Or paste the file's text", text),
    h("div", { class: "row" }, submit),
    answer,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = text.value.trim();
    if (!body) {
      replace(answer, errorBox("Choose a licence file or paste its text first."));
      text.focus();
      return;
    }
    submit.disabled = true;
    replace(answer, h("p", { class: "note", role: "status" }, "Sending to the server…"));
    try {
      const result = await api.uploadLicence(body);
      replace(
        answer,
        h(
          "p",
          { class: "flash good", role: "status", "data-upload": result.signature },
          result.signature === "verified"
            ? [
                "Accepted: the signature verified against trusted key ",
                h("code", {}, result.signedBy ?? ""),
                ". The licence is now in force.",
              ]
            : "Accepted unsigned: the server runs in dev mode, which accepts files without a signature. The licence is now in force.",
        ),
      );
      // The panel above shows the licence now in force.
      await uploaded().catch((e: unknown) =>
        answer.append(errorBox(`Could not read the licence back: ${errorText(e)}`)),
      );
    } catch (e) {
      replace(
        answer,
        h(
          "div",
          { class: "error", role: "alert", "data-upload": "refused" },
          h("strong", {}, "Refused: "),
          errorText(e),
          " The licence in force is unchanged.",
        ),
      );
    } finally {
      submit.disabled = false;
    }
  });
  return h(
    "section",
    { class: "panel", "aria-labelledby": "lic-up-h" },
    h("h2", { id: "lic-up-h" }, "Upload a licence"),
    h(
      "p",
      { class: "note" },
      "The server checks that the file is signed by a vendor key it trusts; a file without a signature is accepted only when the server runs in dev mode. A licence with more seats leaves capped accounts capped unless the policy says to restore them",
      ...why(10),
      ".",
    ),
    form,
  );
}
