// Single files of two CommonJS packages, imported by path (see limits.ts for why), typed as their
// packages type them.
declare module "rate-limiter-flexible/lib/RateLimiterMemory.js" {
  import { RateLimiterMemory } from "rate-limiter-flexible";
  export default RateLimiterMemory;
}

declare module "ipaddr.js/lib/ipaddr.js" {
  import ipaddr = require("ipaddr.js");
  export default ipaddr;
}
