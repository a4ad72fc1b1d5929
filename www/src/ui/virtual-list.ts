// A list that renders only the rows in view, so a million accounts scroll
// as smoothly as ten. Rows have one fixed height; the list is a scrollable
// element with a spacer as tall as every row together.

export interface VirtualListOptions<T> {
  /** Height of one row in CSS pixels. */
  rowHeight: number;
  /** Visible height of the list in CSS pixels. */
  height: number;
  /** Renders one row (called only for rows in view). */
  render: (item: T, index: number) => HTMLElement;
  /** Accessible name of the list. */
  label: string;
}

export class VirtualList<T> {
  readonly element: HTMLDivElement;
  #items: readonly T[] = [];
  readonly #inner: HTMLDivElement;
  readonly #options: VirtualListOptions<T>;
  #frame = 0;

  constructor(options: VirtualListOptions<T>) {
    this.#options = options;
    this.element = document.createElement("div");
    this.element.className = "vlist";
    this.element.setAttribute("role", "list");
    this.element.setAttribute("aria-label", options.label);
    this.element.tabIndex = 0;
    this.element.style.height = `${options.height}px`;
    this.#inner = document.createElement("div");
    this.#inner.className = "vlist-inner";
    this.element.appendChild(this.#inner);
    this.element.addEventListener("scroll", () => this.#schedule());
    this.element.addEventListener("keydown", (e) => this.#key(e));
  }

  /** Shows `items` (kept by reference, not copied) from the top. */
  setItems(items: readonly T[]): void {
    this.#items = items;
    this.element.dataset.count = String(items.length);
    this.element.scrollTop = 0;
    this.#draw();
  }

  get items(): readonly T[] {
    return this.#items;
  }

  #schedule(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#draw();
    });
  }

  #draw(): void {
    const { rowHeight, height, render } = this.#options;
    this.#inner.style.height = `${this.#items.length * rowHeight}px`;
    const first = Math.max(0, Math.floor(this.element.scrollTop / rowHeight) - 5);
    const last = Math.min(
      this.#items.length,
      Math.ceil((this.element.scrollTop + height) / rowHeight) + 5,
    );
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = render(this.#items[i] as T, i);
      row.setAttribute("role", "listitem");
      row.classList.add("vlist-row");
      row.style.top = `${i * rowHeight}px`;
      row.style.height = `${rowHeight}px`;
      rows.push(row);
    }
    this.#inner.replaceChildren(...rows);
  }

  #key(e: KeyboardEvent): void {
    const page = this.#options.height;
    const moves: Record<string, number> = {
      ArrowDown: this.#options.rowHeight,
      ArrowUp: -this.#options.rowHeight,
      PageDown: page,
      PageUp: -page,
    };
    if (e.key === "Home") this.element.scrollTop = 0;
    else if (e.key === "End") this.element.scrollTop = this.#items.length * this.#options.rowHeight;
    else if (moves[e.key] !== undefined) this.element.scrollTop += moves[e.key]!;
    else return;
    e.preventDefault();
  }
}
