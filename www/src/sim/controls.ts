// Form controls bound to the simulator's state: each writes its value into
// the state as the user types and tells the page (`FormContext.changed`).
// Numbers are text inputs with a numeric keyboard, so what was typed is kept
// as typed and checked in one place (draft.ts).
import type { Setting } from "../../../js/src/types.js";
import { type Child, errorBox, field, h, replace } from "../ui/dom.js";
import type { Problem, Section, SimState } from "./draft.js";

export interface FormContext {
  state: SimState;
  /** The state changed; `structural` when the forms must be drawn again (a row added, a feature renamed). */
  changed(structural?: boolean): void;
  slots: ProblemSlots;
}

export function textInput(
  value: string,
  set: (v: string) => void,
  attrs: Record<string, string> = {},
): HTMLInputElement {
  const input = h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
  input.value = value;
  input.addEventListener("input", () => set(input.value));
  return input;
}

export function numberInput(
  value: string,
  set: (v: string) => void,
  attrs: Record<string, string> = {},
): HTMLInputElement {
  return textInput(value, set, { inputmode: "numeric", class: "sim-num", ...attrs });
}

export function selectInput<T extends string>(
  options: readonly (readonly [T, string])[],
  value: string,
  set: (v: T) => void,
  attrs: Record<string, string> = {},
): HTMLSelectElement {
  const select = h(
    "select",
    attrs,
    ...options.map(([v, label]) => h("option", { value: v }, label)),
  );
  // A value the options don't have (from a file) is shown, not silently replaced.
  if (!options.some(([v]) => v === value))
    select.append(h("option", { value }, `${value || "(empty)"} — not valid`));
  select.value = value;
  select.addEventListener("change", () => set(select.value as T));
  return select;
}

export function checkbox(
  label: string,
  checked: boolean,
  set: (v: boolean) => void,
  hint?: string | Child[],
): HTMLLabelElement {
  const box = h("input", { type: "checkbox" });
  box.checked = checked;
  box.addEventListener("change", () => set(box.checked));
  return h(
    "label",
    { class: "sim-check" },
    box,
    h("span", {}, label),
    hint ? h("small", { class: "hint" }, hint) : null,
  );
}

export function button(
  label: string,
  onclick: () => void,
  attrs: Record<string, string> = {},
): HTMLButtonElement {
  return h("button", { type: "button", class: "secondary", ...attrs, onclick }, label);
}

const NODE_SETTINGS = [
  ["inherit", "inherit"],
  ["enabled", "enabled"],
  ["disabled", "disabled"],
] as const;
const SERVER_SETTINGS = [
  ["disabled", "disabled"],
  ["enabled", "enabled"],
] as const;

/**
 * One select per licence feature for one node's settings. `inherit` (below
 * the server) removes the entry; the server can't inherit (SPEC Model).
 */
export function settingsFieldset(
  legend: string,
  settings: Record<string, Setting>,
  features: string[],
  ctx: FormContext,
  server = false,
): HTMLElement {
  const set = h("fieldset", { class: "sim-settings" }, h("legend", {}, legend));
  if (features.length === 0)
    set.append(h("p", { class: "note" }, "Add a feature to the licence to set it here."));
  for (const feature of features) {
    const value = settings[feature] ?? (server ? "disabled" : "inherit");
    const select = selectInput<Setting>(server ? SERVER_SETTINGS : NODE_SETTINGS, value, (v) => {
      if (v === "inherit" && !server) delete settings[feature];
      else settings[feature] = v;
      ctx.changed();
    });
    set.append(field(feature, select));
  }
  return set;
}

/**
 * Where each section's problems appear: one element per section, kept
 * across redraws of the forms. Problems come from two places — the forms'
 * own checks (live, as you type) and the engine (after a run or a load).
 */
export class ProblemSlots {
  #slots = new Map<Section, HTMLElement>();
  #local: Problem[] = [];
  #engine: Problem[] = [];

  slot(section: Section): HTMLElement {
    let el = this.#slots.get(section);
    if (!el) {
      el = h("div", { class: "sim-problems", "data-problems": section });
      this.#slots.set(section, el);
      this.#draw(section);
    }
    return el;
  }

  setLocal(problems: Problem[]): void {
    this.#local = problems;
    this.#drawAll();
  }

  setEngine(problems: Problem[]): void {
    this.#engine = problems;
    this.#drawAll();
  }

  /** Every problem now shown, local first. */
  all(): Problem[] {
    return [...this.#local, ...this.#engine];
  }

  #drawAll(): void {
    for (const section of this.#slots.keys()) this.#draw(section);
  }

  #draw(section: Section): void {
    const el = this.#slots.get(section)!;
    const mine = this.all().filter((p) => p.section === section);
    const shown = mine.slice(0, 8).map((p) => errorBox(p.message));
    if (mine.length > 8) shown.push(h("p", { class: "note" }, `…and ${mine.length - 8} more.`));
    replace(el, shown);
  }
}
