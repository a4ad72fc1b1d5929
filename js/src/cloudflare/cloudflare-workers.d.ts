// The runtime module every Worker can import; only what SeatLedger uses.
declare module "cloudflare:workers" {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: import("./workers.js").DurableObjectState;
    protected env: Env;
    constructor(ctx: import("./workers.js").DurableObjectState, env: Env);
  }
}

// docs/openapi.json, bundled in by the build (esbuild alias).
declare module "seatcap-openapi" {
  const document: unknown;
  export default document;
}
