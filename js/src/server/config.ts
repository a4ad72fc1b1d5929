// The Node server's configuration from flags and environment (flags win).
// Pure: reads only the arrays and maps it is given, so it is tested directly.
import { DEFAULT_SERVER_BOUNDS, type LimitsConfig } from "./limits.js";

export interface Config {
  host: string;
  port: number;
  /** Directory of the SQLite database, the generated admin token and the demo vendor key. */
  data: string;
  /** PostgreSQL connection URL: the store lives there instead of SQLite. */
  postgres?: string;
  upstream?: URL;
  adminTokens: string[];
  domainTokens: Record<string, string[]>;
  gatewayTokens: string[];
  /** Vendor public keys (hex) whose licence files are accepted. */
  licenceKeys: string[];
  /** Accept unsigned licence files (never bad signatures). */
  dev: boolean;
  /** Seed an empty store with the Axigen example and make a local demo vendor key (`npm start`). */
  demo: boolean;
  verifyNewClaims: boolean;
  /** The Engine on a thread of its own (default) or on the HTTP thread (`--engine-in-process`). */
  engineThread: boolean;
  /** How credentials are checked with the mail server before anything is written or told (gateway). */
  credentialCheck: "auto" | "options" | "request";
  /** How long credentials the mail server accepted are remembered (ms; 0: never). */
  credentialCacheMs: number;
  /** How long a credential probe may take (ms). */
  probeTimeoutMs: number;
  /** Domain of login names without one. */
  defaultDomain?: string;
  /** NetBIOS domain → mail domain, for `DOMAIN\user` login names. */
  netbios: Record<string, string>;
  /** Idle upstream connections kept for reuse (ms); 0: a fresh connection per request. */
  upstreamKeepAliveMs: number;
  /** Connections to the mail server at most. */
  upstreamConnections: number;
  /** How long the mail server may stay silent before a request is given up (ms). */
  upstreamTimeoutMs: number;
  /** HTTPS: PEM certificate chain and key files (reloaded on SIGHUP). */
  tls?: { cert: string; key: string };
  /** Peers whose `X-Forwarded-*` headers are believed (proxy-addr trust list); empty: nobody's. */
  trustProxy: string[];
  feature: string;
  /** Largest JSON body of the admin API, in bytes. */
  bodyLimit: number;
  /** Request rates, bad-token lockout and upstream concurrency (limits.ts). */
  limits: Partial<LimitsConfig>;
  /** Open client connections at most (Node host). */
  maxConnections: number;
}

export class ConfigError extends Error {}

export const USAGE = `usage: seatcap serve [options]

  --host <addr>              listen address (SEATCAP_HOST, default 127.0.0.1)
  --port <n>                 port, 0 for any free one (SEATCAP_PORT, default 8787)
  --data <dir>               SQLite database, generated admin token (SEATCAP_DATA, default ./data)
  --postgres <url>           keep the store in PostgreSQL instead (SEATCAP_POSTGRES_URL)
  --upstream <url>           the mail server allowed ActiveSync requests go to (SEATCAP_UPSTREAM)
  --admin-token <t>          server administrator token, repeatable (SEATCAP_ADMIN_TOKENS, comma-separated;
                             default: generated once and kept in <data>/admin-token)
  --domain-token <d>=<t>     domain administrator token for domain d, repeatable (SEATCAP_DOMAIN_TOKENS)
  --gateway-token <t>        token that may only ask POST /v1/decide, repeatable (SEATCAP_GATEWAY_TOKENS)
  --licence-key <hex>        trusted vendor public key, repeatable (SEATCAP_LICENCE_KEYS)
  --dev                      dev mode: accept unsigned licence files (SEATCAP_DEV=1)
  --demo                     seed an empty store with the Axigen example and trust a local demo vendor key
  --no-verify-claims         trust the Basic user name without asking the upstream (only behind a front end
                             that authenticates every request itself)
  --engine-in-process        run the rules on the HTTP thread instead of a thread of their own (profiling;
                             a costly request, such as an at-cap sweep, then holds every other request)
  --credential-check <mode>  auto (default: OPTIONS probes, once the upstream was seen refusing a made-up
                             credential on OPTIONS), options (trust OPTIONS probes), request (verify a claim
                             by the real request's status; denials then answer 503) (SEATCAP_CREDENTIAL_CHECK)
  --credential-cache <s>     remember credentials the upstream accepted for s seconds (default 60, 0: never)
  --probe-timeout <s>        how long a credential probe may take (default 10)
  --default-domain <d>       mail domain of login names without one (SEATCAP_DEFAULT_DOMAIN)
  --netbios <NAME>=<domain>  DOMAIN\\user login names: NetBIOS name → mail domain, repeatable (SEATCAP_NETBIOS)
  --upstream-keepalive <ms>  reuse idle upstream connections for ms (default 0: a fresh connection per
                             request, right for servers such as SOGo that close them unannounced)
  --upstream-connections <n> connections to the upstream at most (default 256)
  --upstream-timeout <s>     how long the upstream may stay silent, e.g. on a Ping (default 3660)
  --tls-cert <file>          serve HTTPS with this PEM certificate chain (with --tls-key; SIGHUP reloads both)
  --tls-key <file>           the PEM private key (SEATCAP_TLS_CERT, SEATCAP_TLS_KEY)
  --trust-proxy <list>       believe X-Forwarded-For/-Proto/-Host from these peers: addresses, CIDRs, or
                             loopback|linklocal|uniquelocal, comma-separated (SEATCAP_TRUST_PROXY; default none)
  --feature <name>           the feature ActiveSync connections use (default activesync)
  --body-limit <bytes>       largest admin API body (default 65536)
  --rate-per-address <n>     requests a minute from one client address, IPv6 by /64 (default 3000; 0: off)
  --rate-per-account <n>     gateway requests a minute for one account and password (default 1200; 0: off)
  --rate-per-token <n>       admin API requests a minute with one token (default 1200; 0: off)
  --lockout-after <n>        bad tokens from one address in 10 minutes that lock it out of the admin API
                             for 15 minutes (default 10; 0: never; loopback, like the rates, is not counted)
  --max-connections <n>      open client connections at most (default 4096)
  --max-upstream <n>         upstream requests in flight at most, Pings included (default 2048; 0: no bound)
  --max-upstream-per-account <n>
                             of those, for one account and password (default 16; 0: no bound)
`;

const FLAGS_WITH_VALUE = new Set([
  "host",
  "port",
  "data",
  "postgres",
  "upstream",
  "admin-token",
  "domain-token",
  "gateway-token",
  "licence-key",
  "feature",
  "body-limit",
  "rate-per-address",
  "rate-per-account",
  "rate-per-token",
  "lockout-after",
  "max-connections",
  "max-upstream",
  "max-upstream-per-account",
  "credential-check",
  "credential-cache",
  "probe-timeout",
  "default-domain",
  "netbios",
  "upstream-keepalive",
  "upstream-connections",
  "upstream-timeout",
  "tls-cert",
  "tls-key",
  "trust-proxy",
]);
const SWITCHES = new Set(["dev", "demo", "no-verify-claims", "engine-in-process"]);

const list = (text: string | undefined) =>
  (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function domainToken(entry: string, into: Record<string, string[]>): void {
  const eq = entry.indexOf("=");
  if (eq <= 0 || eq === entry.length - 1)
    throw new ConfigError(
      `a domain token is written <domain>=<token>, not \`${entry.slice(0, Math.max(eq, 0))}…\``,
    );
  const domain = entry.slice(0, eq).toLowerCase();
  into[domain] ??= [];
  into[domain].push(entry.slice(eq + 1));
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new ConfigError(
      `--${name}: expected a whole number from ${min} to ${max}, got \`${text}\``,
    );
  return n;
}

function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text))
    throw new ConfigError(`--${name}: expected one of ${allowed.join(", ")}, got \`${text}\``);
  return text as T;
}

function mailDomain(name: string, text: string): string {
  const domain = text.trim().toLowerCase();
  if (
    !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/.test(
      domain,
    )
  )
    throw new ConfigError(`--${name}: \`${text}\` is not a mail domain`);
  return domain;
}

function url(name: string, text: string): URL {
  try {
    const u = new URL(text);
    if (name === "upstream" && !["http:", "https:"].includes(u.protocol))
      throw new Error("not http(s)");
    return u;
  } catch {
    throw new ConfigError(`--${name}: \`${text}\` is not an http(s) URL`);
  }
}

export function parseConfig(argv: string[], env: Record<string, string | undefined>): Config {
  const flags = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument \`${arg}\``);
    const [, name, inline] = m as unknown as [string, string, string | undefined];
    if (SWITCHES.has(name)) {
      if (inline !== undefined) throw new ConfigError(`--${name} takes no value`);
      switches.add(name);
    } else if (FLAGS_WITH_VALUE.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new ConfigError(`--${name} needs a value`);
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else {
      throw new ConfigError(`unknown option --${name}`);
    }
  }
  const one = (name: string, envName: string) => flags.get(name)?.at(-1) ?? env[envName];
  const many = (name: string, envName: string) => flags.get(name) ?? list(env[envName]);
  const domainTokens: Record<string, string[]> = {};
  for (const entry of many("domain-token", "SEATCAP_DOMAIN_TOKENS"))
    domainToken(entry, domainTokens);
  const licenceKeys = many("licence-key", "SEATCAP_LICENCE_KEYS").map((k) => k.toLowerCase());
  for (const k of licenceKeys)
    if (!/^[0-9a-f]{64}$/.test(k))
      throw new ConfigError(`--licence-key: \`${k}\` is not 64 hex digits (an Ed25519 public key)`);
  const upstream = one("upstream", "SEATCAP_UPSTREAM");
  const defaultDomain = one("default-domain", "SEATCAP_DEFAULT_DOMAIN");
  const netbios: Record<string, string> = {};
  for (const entry of many("netbios", "SEATCAP_NETBIOS")) {
    const eq = entry.indexOf("=");
    if (eq <= 0 || !/^[A-Za-z0-9][A-Za-z0-9 !#$%&'().^_{}~-]{0,14}$/.test(entry.slice(0, eq)))
      throw new ConfigError(
        `--netbios: expected NAME=domain (a NetBIOS name of 1–15 characters), got \`${entry}\``,
      );
    netbios[entry.slice(0, eq).toLowerCase()] = mailDomain("netbios", entry.slice(eq + 1));
  }
  const tlsCert = one("tls-cert", "SEATCAP_TLS_CERT");
  const tlsKey = one("tls-key", "SEATCAP_TLS_KEY");
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw new ConfigError("--tls-cert and --tls-key go together");
  const tls =
    tlsCert !== undefined && tlsKey !== undefined ? { cert: tlsCert, key: tlsKey } : undefined;
  const postgres = one("postgres", "SEATCAP_POSTGRES_URL");
  if (postgres !== undefined && !/^postgres(ql)?:\/\//.test(postgres))
    throw new ConfigError("--postgres: expected a postgres:// URL");
  return {
    host: one("host", "SEATCAP_HOST") ?? "127.0.0.1",
    port: integer("port", one("port", "SEATCAP_PORT") ?? "8787", 0, 65535),
    data: one("data", "SEATCAP_DATA") ?? "./data",
    ...(postgres === undefined ? {} : { postgres }),
    ...(upstream === undefined ? {} : { upstream: url("upstream", upstream) }),
    adminTokens: many("admin-token", "SEATCAP_ADMIN_TOKENS"),
    domainTokens,
    gatewayTokens: many("gateway-token", "SEATCAP_GATEWAY_TOKENS"),
    licenceKeys,
    dev: switches.has("dev") || env.SEATCAP_DEV === "1",
    demo: switches.has("demo"),
    verifyNewClaims: !switches.has("no-verify-claims"),
    engineThread: !switches.has("engine-in-process"),
    credentialCheck: oneOf(
      "credential-check",
      one("credential-check", "SEATCAP_CREDENTIAL_CHECK") ?? "auto",
      ["auto", "options", "request"] as const,
    ),
    credentialCacheMs:
      1000 *
      integer(
        "credential-cache",
        one("credential-cache", "SEATCAP_CREDENTIAL_CACHE") ?? "60",
        0,
        3600,
      ),
    probeTimeoutMs:
      1000 *
      integer("probe-timeout", one("probe-timeout", "SEATCAP_PROBE_TIMEOUT") ?? "10", 1, 300),
    ...(defaultDomain === undefined
      ? {}
      : { defaultDomain: mailDomain("default-domain", defaultDomain) }),
    netbios,
    upstreamKeepAliveMs: integer(
      "upstream-keepalive",
      one("upstream-keepalive", "SEATCAP_UPSTREAM_KEEPALIVE") ?? "0",
      0,
      600_000,
    ),
    upstreamConnections: integer(
      "upstream-connections",
      one("upstream-connections", "SEATCAP_UPSTREAM_CONNECTIONS") ?? "256",
      1,
      65_536,
    ),
    upstreamTimeoutMs:
      1000 *
      integer(
        "upstream-timeout",
        one("upstream-timeout", "SEATCAP_UPSTREAM_TIMEOUT") ?? "3660",
        1,
        86_400,
      ),
    ...(tls === undefined ? {} : { tls }),
    trustProxy: many("trust-proxy", "SEATCAP_TRUST_PROXY"),
    feature: one("feature", "SEATCAP_FEATURE") ?? "activesync",
    bodyLimit: integer(
      "body-limit",
      one("body-limit", "SEATCAP_BODY_LIMIT") ?? "65536",
      1024,
      64 * 1024 * 1024,
    ),
    limits: limitsOf(one),
    maxConnections: integer(
      "max-connections",
      one("max-connections", "SEATCAP_MAX_CONNECTIONS") ??
        String(DEFAULT_SERVER_BOUNDS.maxConnections),
      1,
      1_000_000,
    ),
  };
}

/** The abuse limits that flags or the environment set (the rest keep `DEFAULT_LIMITS`). */
function limitsOf(
  one: (name: string, envName: string) => string | undefined,
): Partial<LimitsConfig> {
  const limits: Partial<LimitsConfig> = {};
  const set = (flag: string, key: keyof LimitsConfig, max: number) => {
    const text = one(flag, `SEATCAP_${flag.toUpperCase().replaceAll("-", "_")}`);
    if (text !== undefined) limits[key] = integer(flag, text, 0, max);
  };
  set("rate-per-address", "perAddress", 1_000_000);
  set("rate-per-account", "perAccount", 1_000_000);
  set("rate-per-token", "perToken", 1_000_000);
  set("lockout-after", "lockoutAfter", 1_000_000);
  set("max-upstream", "maxUpstream", 1_000_000);
  set("max-upstream-per-account", "maxUpstreamPerAccount", 1_000_000);
  return limits;
}
