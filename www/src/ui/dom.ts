// A tiny DOM builder: no framework, just elements with attributes, handlers
// and children. Text is always set as text, never parsed as HTML.

export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<
  string,
  string | number | boolean | null | undefined | ((event: Event) => void)
>;

/** `h("button", { type: "button", onclick: go }, "Run")`. `on*` functions become listeners; `false`/`null` attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function")
      el.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    else if (name === "class") el.className = String(value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(
      typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child))
        : child,
    );
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let fieldIds = 0;

/**
 * A labelled form field: `<label for>` names the control (its accessible
 * name is the label alone) and an optional hint describes it
 * (`aria-describedby`), so screen readers say both, separately.
 */
export function field(label: string, control: HTMLElement, hint?: string | Child[]): HTMLElement {
  if (!control.id) control.id = `field-${++fieldIds}`;
  const wrapper = h(
    "div",
    { class: "field" },
    h("label", { class: "field-label", for: control.id }, label),
    control,
  );
  if (hint && hint.length > 0) {
    const hintId = `${control.id}-hint`;
    wrapper.append(h("small", { class: "hint", id: hintId }, hint));
    const described = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", described ? `${described} ${hintId}` : hintId);
  }
  return wrapper;
}

/** An error shown where it happened (role=alert so screen readers announce it). */
export function errorBox(message: string | Child[]): HTMLElement {
  return h("p", { class: "error", role: "alert" }, message);
}
