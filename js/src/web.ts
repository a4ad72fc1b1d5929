// Browser / bundler entry: `await init()` fetches and compiles the wasm
// (from beside this file unless told otherwise), once.
import loadWasm, * as glue from "../../pkg/seatcap.js";
import type { InitInput } from "./types.js";
import { useBindings, useLoader } from "./api.js";

let loading: Promise<void> | undefined;

useLoader((input?: InitInput) => {
  loading ??= loadWasm({ module_or_path: input ?? new URL("./seatcap_bg.wasm", import.meta.url) }).then(() =>
    useBindings(glue),
  );
  return loading;
});

export * from "./index.js";
