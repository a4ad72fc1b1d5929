// Accessible tabs (WAI-ARIA tabs pattern): real buttons with role=tab and
// aria-selected, one tab stop for the whole list (roving tabindex), arrow
// keys / Home / End move between tabs and select them.
import { h } from "../ui/dom.js";

export interface TabSpec {
  id: string;
  label: string;
  panel: HTMLElement;
}

export class Tabs {
  readonly list: HTMLElement;
  readonly panels: HTMLElement;
  #buttons = new Map<string, HTMLButtonElement>();
  #specs: TabSpec[];
  #current = "";
  onSelect: (id: string) => void = () => {};

  constructor(label: string, specs: TabSpec[], prefix: string) {
    this.#specs = specs;
    this.list = h("div", { class: "tabs", role: "tablist", "aria-label": label });
    this.panels = h("div", {});
    for (const spec of specs) {
      const button = h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `${prefix}-tab-${spec.id}`,
          "aria-controls": `${prefix}-panel-${spec.id}`,
          "aria-selected": "false",
          tabindex: "-1",
          "data-tab": spec.id,
        },
        spec.label,
      );
      button.addEventListener("click", () => this.select(spec.id));
      button.addEventListener("keydown", (e) => this.#key(e, spec.id));
      this.#buttons.set(spec.id, button);
      this.list.append(button);
      spec.panel.id = `${prefix}-panel-${spec.id}`;
      spec.panel.setAttribute("role", "tabpanel");
      spec.panel.setAttribute("aria-labelledby", button.id);
      spec.panel.tabIndex = 0;
      spec.panel.hidden = true;
      this.panels.append(spec.panel);
    }
  }

  get current(): string {
    return this.#current;
  }

  select(id: string, focus = false): void {
    if (!this.#buttons.has(id)) id = this.#specs[0]!.id;
    for (const spec of this.#specs) {
      const on = spec.id === id;
      const button = this.#buttons.get(spec.id)!;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      spec.panel.hidden = !on;
    }
    if (focus) this.#buttons.get(id)!.focus();
    const changed = id !== this.#current;
    this.#current = id;
    if (changed) this.onSelect(id);
  }

  #key(e: KeyboardEvent, id: string): void {
    const ids = this.#specs.map((s) => s.id);
    const at = ids.indexOf(id);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: ids.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    this.select(ids[(to + ids.length) % ids.length]!, true);
  }
}
