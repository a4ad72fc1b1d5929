// `seatcap/server`: the edge server as a fetch handler, for any host that
// speaks Request/Response (Node through @hono/node-server, Cloudflare Workers).
export { createHandler } from "./app.js";
export type { ServerOptions, Handler } from "./app.js";
export { Tokens, roleName, MIN_TOKEN_LENGTH } from "./auth.js";
export type { Role, TokenConfig, Sha256 } from "./auth.js";
export { gateway, upstreamRequest, upstreamUrl, isGatewayPath } from "./gateway.js";
export type { Forward, ClientInfo, GatewayOptions, GatewayLimits } from "./gateway.js";
export { identify, accountOfLogin } from "./identity.js";
export type { Identity, LoginNames } from "./identity.js";
export { CredentialCheck } from "./credentials.js";
export type { CredentialCheckOptions, Verdict } from "./credentials.js";
export { statusOf, isSafePath, upstreamFailure, gatewayText, MAX_JSON_DEPTH } from "./respond.js";
export type { ApiError, HttpErrorCode, UpstreamFailure } from "./respond.js";
export {
  Limits,
  DEFAULT_LIMITS,
  DEFAULT_SERVER_BOUNDS,
  boundServer,
  nodeServerOptions,
  addressKey,
} from "./limits.js";
export type { LimitsConfig, ServerBounds, NodeServerOptions } from "./limits.js";
export { parseConfig, ConfigError, USAGE } from "./config.js";
export type { Config } from "./config.js";
export { axigenExample } from "./seed.js";
export { remoteEngine, isEngineCall } from "./remote-engine.js";
export type { EngineTransport } from "./remote-engine.js";
export { ENGINE_CALLS } from "../engine-calls.js";
export type { EngineApi, EngineCall } from "../engine-calls.js";
