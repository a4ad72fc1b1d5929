// The Worker's main module: the edge server and its Durable Object, both
// from the npm package (see wrangler.toml for the bindings they read).
export { default, SeatLedger } from "seatcap/cloudflare";
