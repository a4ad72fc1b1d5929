// Node entry (ESM and, through esbuild, CJS): loads the wasm synchronously on import.
import { readFileSync } from "node:fs";
import * as glue from "../../pkg/seatcap.js";
import { useBindings } from "./core.js";

glue.initSync({ module: readFileSync(new URL("./seatcap_bg.wasm", import.meta.url)) });
useBindings(glue);

export * from "./index.js";
