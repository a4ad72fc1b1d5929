// Browser / bundler entry: `await init()` fetches and compiles the wasm
// (from beside this file unless told otherwise), once. Bundlers see the
// `new URL("./seatcap_bg.wasm", import.meta.url)` and ship the file.
import loadWasm, * as glue from "../../pkg/seatcap.js";
import type { InitInput as WasmSource } from "../../pkg/seatcap.js";
import type { InitInput } from "./types.js";
import { useBindings, useLoader } from "./core.js";

let loading: Promise<void> | undefined;

useLoader((input?: InitInput) => {
  // Our InitInput is the glue's, typed loosely for Node-only consumers (types.ts).
  const source = (input ?? new URL("./seatcap_bg.wasm", import.meta.url)) as WasmSource;
  loading ??= loadWasm({ module_or_path: source }).then(
    () => useBindings(glue),
    (e: unknown) => {
      loading = undefined; // a failed fetch may be retried
      throw e;
    },
  );
  return loading;
});

export * from "./index.js";
