// The directory's configuration nodes (SPEC R1): the server's settings, and
// each domain with its settings and its account classes.
import { field, h } from "../ui/dom.js";
import { why } from "../ui/rules.js";
import { featureNames } from "./draft.js";
import { button, settingsFieldset, textInput, type FormContext } from "./controls.js";

export function serverPanel(ctx: FormContext): HTMLElement {
  const features = featureNames(ctx.state.draft);
  return h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-server" },
    h("h2", { id: "sim-h-server" }, "Server settings"),
    h(
      "p",
      { class: "hint" },
      "The top level: every domain takes these unless it sets its own. A feature not set here is disabled.",
    ),
    settingsFieldset("Server", ctx.state.draft.server, features, ctx, true),
    ctx.slots.slot("server"),
  );
}

export function domainsPanel(ctx: FormContext): HTMLElement {
  const d = ctx.state.draft;
  const features = featureNames(d);
  const blocks = d.domains.map((dom, i) => {
    const name = textInput(dom.name, (v) => {
      dom.name = v;
      ctx.changed();
    });
    // Generated blocks point at their domain by name: follow a rename.
    let before = dom.name;
    name.addEventListener("change", () => {
      for (const g of d.generate) if (g.domain === before) g.domain = dom.name;
      before = dom.name;
      ctx.changed(true);
    });
    const label = dom.name || `domain ${i + 1}`;
    const classes = dom.classes.map((c, k) =>
      h(
        "div",
        { class: "sim-class" },
        h(
          "div",
          { class: "row" },
          field(
            "Class name",
            textInput(c.name, (v) => {
              c.name = v;
              ctx.changed();
            }),
          ),
          button(
            "Remove class",
            () => {
              dom.classes.splice(k, 1);
              ctx.changed(true);
            },
            { "aria-label": `Remove class ${c.name} of ${label}` },
          ),
        ),
        settingsFieldset(`Settings of class ${c.name || k + 1}`, c.settings, features, ctx),
      ),
    );
    return h(
      "div",
      { class: "sim-domain", "data-domain": dom.name },
      h(
        "div",
        { class: "row" },
        field("Domain name", name),
        button(
          "Remove domain",
          () => {
            d.domains.splice(i, 1);
            ctx.changed(true);
          },
          { "aria-label": `Remove domain ${label}` },
        ),
      ),
      settingsFieldset(`Settings of ${label}`, dom.settings, features, ctx),
      h("h3", {}, `Account classes of ${label}`),
      classes.length
        ? classes
        : h("p", { class: "note" }, "No classes: accounts inherit from the domain."),
      button(
        "Add class",
        () => {
          dom.classes.push({ name: `class${dom.classes.length + 1}`, settings: {} });
          ctx.changed(true);
        },
        { "aria-label": `Add a class to ${label}` },
      ),
    );
  });
  return h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-domains" },
    h("h2", { id: "sim-h-domains" }, "Domains and classes"),
    h(
      "p",
      { class: "hint" },
      "An account takes the first value that is set, looking at the account, then its class, its domain, then the server",
      ...why(1),
      ".",
    ),
    ...blocks,
    button("Add domain", () => {
      d.domains.push({
        name: d.domains.length ? `domain${d.domains.length + 1}.com` : "example.com",
        settings: {},
        classes: [],
      });
      ctx.changed(true);
    }),
    ctx.slots.slot("domains"),
  );
}
