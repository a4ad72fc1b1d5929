// Cloudflare Workers (workerd) entry: Workers forbid compiling wasm from
// bytes, so the module is imported as a compiled WebAssembly.Module
// (module rule `CompiledWasm`) and instantiated synchronously.
// @ts-expect-error: resolved by the Workers runtime, not by TypeScript.
import wasmModule from "./seatcap_bg.wasm";
import * as glue from "../../pkg/seatcap.js";
import { useBindings } from "./core.js";

glue.initSync({ module: wasmModule as WebAssembly.Module });
useBindings(glue);

export * from "./index.js";
