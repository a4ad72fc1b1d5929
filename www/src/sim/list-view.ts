// A searchable list of account ids over the console's VirtualList: a search
// box, "showing X of Y", and rows that keep their position in the full list
// (a holder's place in claim order). Filtering a million ids is a plain loop
// over strings, debounced so typing stays smooth.
import { h, field } from "../ui/dom.js";
import { fmt } from "../ui/format.js";
import { VirtualList } from "../ui/virtual-list.js";

export interface ListViewOptions {
  /** Accessible name, e.g. "Seat holders". */
  label: string;
  /** A short key for tests and styling (`data-list`). */
  name: string;
  /** Renders the part of a row after its position (the id, badges, buttons). */
  row: (id: string, position: number) => (Node | string)[];
  /** Shown when the list is empty. */
  empty: string;
  height?: number;
}

export class ListView {
  readonly element: HTMLElement;
  #all: readonly string[] = [];
  #positions: number[] | null = null;
  readonly #list: VirtualList<string>;
  readonly #search = h("input", {
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "part of an account id",
  });
  readonly #shown = h("p", { class: "note sim-list-count", "aria-live": "polite" });
  readonly #options: ListViewOptions;
  #debounce = 0;

  constructor(options: ListViewOptions) {
    this.#options = options;
    this.#list = new VirtualList<string>({
      rowHeight: 34,
      height: options.height ?? 320,
      label: options.label,
      render: (id, i) => {
        const position = this.#positions ? this.#positions[i]! : i;
        return h(
          "div",
          {},
          h("span", { class: "sim-pos" }, `${fmt(position + 1)}.`),
          ...options.row(id, position),
        );
      },
    });
    this.#search.addEventListener("input", () => {
      clearTimeout(this.#debounce);
      this.#debounce = window.setTimeout(
        () => this.#filter(),
        this.#all.length > 50_000 ? 200 : 60,
      );
    });
    this.element = h(
      "div",
      { class: "sim-list", "data-list": options.name },
      field(`Search ${options.label.toLowerCase()}`, this.#search),
      this.#shown,
      this.#list.element,
    );
  }

  setItems(items: readonly string[]): void {
    this.#all = items;
    this.#filter();
  }

  #filter(): void {
    const q = this.#search.value.trim().toLowerCase();
    if (!q) {
      this.#positions = null;
      this.#list.setItems(this.#all);
    } else {
      const ids: string[] = [];
      const positions: number[] = [];
      const all = this.#all;
      for (let i = 0; i < all.length; i++) {
        if (all[i]!.includes(q)) {
          ids.push(all[i]!);
          positions.push(i);
        }
      }
      this.#positions = positions;
      this.#list.setItems(ids);
    }
    const shown = this.#list.items.length;
    this.#shown.dataset.shown = String(shown);
    this.#shown.dataset.total = String(this.#all.length);
    this.#shown.textContent =
      this.#all.length === 0
        ? this.#options.empty
        : q
          ? `Showing ${fmt(shown)} of ${fmt(this.#all.length)} (matching “${q}”)`
          : `${fmt(this.#all.length)} in all`;
  }
}
