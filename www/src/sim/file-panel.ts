// A SPEC scenario file in and out: choose, drop or paste one to fill the
// forms; download or copy the scenario as it runs (timeline included).
// A file that doesn't parse, or that the engine refuses, says so here and
// at the section it concerns.
import { fileDrop } from "../ui/file-drop.js";
import { errorBox, field, h, replace } from "../ui/dom.js";
import { count } from "../ui/format.js";
import { button } from "./controls.js";
import { jsonErrorOffset, lineColumn } from "./json-position.js";

export interface FilePanelHooks {
  /** Fill the forms from a parsed file; resolves with a sentence about what was loaded. */
  load(json: unknown, name: string): Promise<string>;
  /** The scenario file text as it runs (from the worker), or null when it could not be made (the problem is shown where it belongs). */
  exportText(): Promise<{ text: string; events: number } | null>;
  slot: HTMLElement;
  starter(b: HTMLButtonElement): HTMLButtonElement;
}

/** JSON.parse's complaint, with the line and column where the text goes wrong. */
export function jsonError(text: string, e: unknown): string {
  const message = (e instanceof Error ? e.message : String(e)).replace(
    / in JSON at position \d+( \(line \d+ column \d+\))?/,
    "",
  );
  return `${message} (at ${lineColumn(text, jsonErrorOffset(text))})`;
}

export function filePanel(hooks: FilePanelHooks): HTMLElement {
  const status = h("div", { class: "sim-file-status", "aria-live": "polite" });
  const paste = h("textarea", {
    rows: 5,
    spellcheck: "false",
    placeholder: '{"licence": {…}, "directory": {…}, "events": […]}',
  });

  const take = async (text: string, name: string) => {
    replace(status);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      replace(status, errorBox(`${name} is not valid JSON: ${jsonError(text, e)}`));
      return;
    }
    const said = await hooks.load(json, name);
    replace(status, h("p", { class: "note" }, said));
  };

  const { input, drop } = fileDrop({
    accept: ".json,application/json",
    dropText: "…or drop a scenario file here",
    name: "scenario",
    onFile: take,
  });

  const download = hooks.starter(
    button(
      "Download scenario JSON",
      async () => {
        const out = await hooks.exportText();
        if (!out) return;
        const url = URL.createObjectURL(new Blob([out.text], { type: "application/json" }));
        const a = h("a", { href: url, download: "seatcap-scenario.json" });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        replace(
          status,
          h(
            "p",
            { class: "note" },
            `Downloaded seatcap-scenario.json (${count(out.events, "event")}).`,
          ),
        );
      },
      { "data-action": "download" },
    ),
  );

  const copy = hooks.starter(
    button(
      "Copy scenario JSON",
      async () => {
        const out = await hooks.exportText();
        if (!out) return;
        if (out.text.length > 20_000_000) {
          replace(
            status,
            errorBox("The scenario is too big for the clipboard; download it instead."),
          );
          return;
        }
        try {
          await navigator.clipboard.writeText(out.text);
          replace(
            status,
            h(
              "p",
              { class: "note" },
              `Copied the scenario (${count(out.events, "event")}) to the clipboard.`,
            ),
          );
        } catch {
          // No clipboard permission: put it where it can be copied by hand.
          paste.value = out.text;
          paste.select();
          replace(
            status,
            h(
              "p",
              { class: "note" },
              "The browser refused the clipboard: the scenario is in the box below, selected — press Ctrl+C (⌘C).",
            ),
          );
        }
      },
      { "data-action": "copy" },
    ),
  );

  return h(
    "section",
    { class: "panel", "aria-labelledby": "sim-h-file" },
    h("h2", { id: "sim-h-file" }, "Scenario file"),
    h(
      "p",
      { class: "hint" },
      "A scenario file (licence, policy, directory, events), as `seatcap simulate` reads it and the admin console exports it. Loading one replaces the forms below.",
    ),
    h("div", { class: "row" }, field("Load a scenario file", input), drop),
    field("…or paste scenario JSON", paste),
    h(
      "div",
      { class: "row sim-plain" },
      button("Load pasted JSON", () => void take(paste.value, "The pasted text"), {
        "data-action": "load-pasted",
      }),
      download,
      copy,
    ),
    status,
    hooks.slot,
  );
}
