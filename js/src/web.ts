// Browser / bundler entry: `await init()` fetches and compiles the wasm
// (from beside this file unless told otherwise), once. Bundlers see the
// `new URL("./seatcap_bg.wasm", import.meta.url)` and ship the file.
import loadWasm, * as glue from "../../pkg/seatcap.js";
import type { InitInput } from "./types.js";
import { useBindings, useLoader } from "./core.js";

let loading: Promise<void> | undefined;

useLoader((input?: InitInput) => {
  loading ??= loadWasm({ module_or_path: input ?? new URL("./seatcap_bg.wasm", import.meta.url) }).then(
    () => useBindings(glue),
    (e: unknown) => {
      loading = undefined; // a failed fetch may be retried
      throw e;
    },
  );
  return loading;
});

export * from "./index.js";
