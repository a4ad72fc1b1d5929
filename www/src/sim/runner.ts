// One job at a time, shown in one place: a progress bar, what is running,
// the time it has taken, and a Cancel button. Cancelling terminates the
// worker (engine-client.ts); the next job starts a fresh one. Buttons that
// start jobs register here and are disabled while one runs.
import { Cancelled, runJob, type Progress } from "../engine-client.js";
import { h, replace } from "../ui/dom.js";
import { fmt } from "../ui/format.js";

export type JobOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; cancelled: boolean; message: string };

export class Runner {
  readonly element: HTMLElement;
  readonly #bar = h("progress", { max: 1, "aria-label": "Progress of the running job" });
  readonly #text = h("span", { class: "sim-runner-text" });
  readonly #cancel = h(
    "button",
    { type: "button", class: "danger", "data-action": "cancel" },
    "Cancel",
  );
  readonly #starters = new Set<HTMLButtonElement>();
  readonly #announce = h("span", { class: "sim-sr", role: "status" });
  #abort: AbortController | null = null;
  #timer = 0;

  constructor() {
    // The text below changes four times a second while a job runs: too often for a live region.
    // Screen readers hear the start and the end through #announce instead.
    this.element = h(
      "div",
      { class: "sim-runner", "data-state": "idle" },
      this.#bar,
      this.#text,
      this.#cancel,
      this.#announce,
    );
    this.#cancel.addEventListener("click", () => this.cancel());
    this.#cancel.hidden = true;
    this.#bar.hidden = true;
    this.#text.textContent = "Ready.";
  }

  get busy(): boolean {
    return this.#abort !== null;
  }

  /** A button that starts a job: disabled while any job runs. */
  starter(button: HTMLButtonElement): HTMLButtonElement {
    this.#starters.add(button);
    button.disabled = this.busy;
    return button;
  }

  cancel(): void {
    this.#abort?.abort();
  }

  async run<T>(kind: string, input: unknown, title: string): Promise<JobOutcome<T>> {
    if (this.#abort)
      return {
        ok: false,
        cancelled: false,
        message: "Another job is running; wait for it or cancel it.",
      };
    const abort = new AbortController();
    this.#abort = abort;
    const began = performance.now();
    // Starters are disabled while the job runs, which drops their focus: give it back at the end.
    const returnFocus =
      document.activeElement instanceof HTMLElement ? document.activeElement : null;
    let last: Progress = { phase: "starting the engine", done: 0, total: 0 };
    const show = () => {
      const seconds = ((performance.now() - began) / 1000).toFixed(1);
      const share = last.total > 0 ? ` — ${Math.floor((100 * last.done) / last.total)}%` : "";
      replace(this.#text, h("strong", {}, title), `: ${last.phase}${share} (${seconds} s)`);
      if (last.total > 0) {
        this.#bar.max = last.total;
        this.#bar.value = last.done;
      } else this.#bar.removeAttribute("value"); // indeterminate: the phase has no steps to count
    };
    this.#setBusy(true);
    this.#announce.textContent = `${title} started.`;
    show();
    this.#timer = window.setInterval(show, 250);
    try {
      const value = await runJob<T>(kind, input, {
        signal: abort.signal,
        onProgress: (p) => {
          last = p;
          show();
        },
      });
      this.#finish(
        returnFocus,
        `${title}: done in ${fmt(Math.round(performance.now() - began))} ms.`,
        "done",
      );
      return { ok: true, value };
    } catch (e) {
      const cancelled = e instanceof Cancelled;
      const message = cancelled ? "Cancelled" : e instanceof Error ? e.message : String(e);
      this.#finish(
        returnFocus,
        cancelled
          ? `${title}: cancelled. Nothing was kept; run again whenever you like.`
          : `${title} failed: ${message}`,
        cancelled ? "cancelled" : "failed",
      );
      return { ok: false, cancelled, message };
    }
  }

  /** Replaces the last job's closing line: a job that ran but whose answer was a refusal says so. */
  say(text: string, state: "refused"): void {
    if (this.busy) return;
    this.element.dataset.state = state;
    this.#text.textContent = text;
    this.#announce.textContent = text;
  }

  #finish(returnFocus: HTMLElement | null, text: string, state: string): void {
    clearInterval(this.#timer);
    this.#abort = null;
    const lost =
      document.activeElement === this.#cancel || document.activeElement === document.body;
    this.#setBusy(false);
    if (lost && returnFocus?.isConnected) returnFocus.focus();
    this.element.dataset.state = state;
    this.#text.textContent = text;
    this.#announce.textContent = text;
  }

  #setBusy(busy: boolean): void {
    this.element.dataset.state = busy ? "running" : (this.element.dataset.state ?? "idle");
    this.#bar.hidden = !busy;
    this.#cancel.hidden = !busy;
    for (const b of this.#starters) {
      // Buttons of replaced results are gone from the page: forget them.
      if (!b.isConnected) this.#starters.delete(b);
      else b.disabled = busy;
    }
    if (busy) this.#bar.removeAttribute("value");
  }
}
