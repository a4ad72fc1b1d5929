// Two ways to hand the page a file: a file picker and a drop zone. Both read
// the file as text and give it, with its name, to one callback.
import { h } from "./dom.js";

export interface FileDrop {
  input: HTMLInputElement;
  drop: HTMLElement;
}

export function fileDrop(options: {
  /** The picker's `accept` list. */
  accept: string;
  /** The drop zone's text. */
  dropText: string;
  /** `data-drop` of the zone (tests find it by this). */
  name: string;
  onFile: (text: string, name: string) => unknown;
}): FileDrop {
  const input = h("input", { type: "file", accept: options.accept });
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (file) await options.onFile(await file.text(), file.name);
    input.value = ""; // choosing the same file again is a new choice
  });
  const drop = h("div", { class: "dropzone", "data-drop": options.name }, options.dropText);
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const file = e.dataTransfer?.files[0];
    if (file) await options.onFile(await file.text(), file.name);
  });
  return { input, drop };
}
