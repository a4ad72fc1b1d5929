// The public surface, identical from every entry (node, browser, workerd).
export { init, simulate, validateScenario, explain, version } from "./core.js";
export type * from "./types.js";
