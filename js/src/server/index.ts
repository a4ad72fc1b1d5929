// `seatcap/server`: the edge server as a fetch handler, for any host that
// speaks Request/Response (Node through @hono/node-server, Cloudflare Workers).
export { createHandler } from "./app.js";
export type { ServerOptions, Handler } from "./app.js";
export { Tokens, roleName, MIN_TOKEN_LENGTH } from "./auth.js";
export type { Role, TokenConfig, Sha256 } from "./auth.js";
export { gateway, accountOf, upstreamRequest, upstreamUrl, isGatewayPath } from "./gateway.js";
export type { Forward, ClientInfo, GatewayOptions } from "./gateway.js";
export { statusOf } from "./respond.js";
export type { ApiError, HttpErrorCode } from "./respond.js";
export { parseConfig, ConfigError, USAGE } from "./config.js";
export type { Config } from "./config.js";
export { axigenExample } from "./seed.js";
export { remoteEngine, isEngineCall } from "./remote-engine.js";
export type { EngineTransport } from "./remote-engine.js";
export { ENGINE_CALLS } from "../engine-calls.js";
export type { EngineApi, EngineCall } from "../engine-calls.js";
