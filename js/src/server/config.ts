// The Node server's configuration from flags and environment (flags win).
// Pure: reads only the arrays and maps it is given, so it is tested directly.

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
  feature: string;
  /** Largest JSON body of the admin API, in bytes. */
  bodyLimit: number;
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
  --no-verify-claims         take seats without first checking credentials with the upstream
  --feature <name>           the feature ActiveSync connections use (default activesync)
  --body-limit <bytes>       largest admin API body (default 65536)
`;

const FLAGS_WITH_VALUE = new Set(["host", "port", "data", "postgres", "upstream", "admin-token", "domain-token", "gateway-token", "licence-key", "feature", "body-limit"]);
const SWITCHES = new Set(["dev", "demo", "no-verify-claims"]);

const list = (text: string | undefined) => (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);

function domainToken(entry: string, into: Record<string, string[]>): void {
  const eq = entry.indexOf("=");
  if (eq <= 0 || eq === entry.length - 1) throw new ConfigError(`a domain token is written <domain>=<token>, not \`${entry.slice(0, Math.max(eq, 0))}…\``);
  const domain = entry.slice(0, eq).toLowerCase();
  (into[domain] ??= []).push(entry.slice(eq + 1));
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new ConfigError(`--${name}: expected a whole number from ${min} to ${max}, got \`${text}\``);
  return n;
}

function url(name: string, text: string): URL {
  try {
    const u = new URL(text);
    if (name === "upstream" && !["http:", "https:"].includes(u.protocol)) throw new Error("not http(s)");
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
  for (const entry of many("domain-token", "SEATCAP_DOMAIN_TOKENS")) domainToken(entry, domainTokens);
  const licenceKeys = many("licence-key", "SEATCAP_LICENCE_KEYS").map((k) => k.toLowerCase());
  for (const k of licenceKeys) if (!/^[0-9a-f]{64}$/.test(k)) throw new ConfigError(`--licence-key: \`${k}\` is not 64 hex digits (an Ed25519 public key)`);
  const upstream = one("upstream", "SEATCAP_UPSTREAM");
  const postgres = one("postgres", "SEATCAP_POSTGRES_URL");
  if (postgres !== undefined && !/^postgres(ql)?:\/\//.test(postgres)) throw new ConfigError("--postgres: expected a postgres:// URL");
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
    feature: one("feature", "SEATCAP_FEATURE") ?? "activesync",
    bodyLimit: integer("body-limit", one("body-limit", "SEATCAP_BODY_LIMIT") ?? "65536", 1024, 64 * 1024 * 1024),
  };
}
