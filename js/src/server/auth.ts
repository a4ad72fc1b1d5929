// Who is calling: a bearer token names a role. Tokens are kept only as
// SHA-256 digests and compared in constant time against every configured
// one, so neither timing nor an early exit tells a caller how close a
// guess was. No token is ever logged or echoed.

/** A server administrator (everything), a domain administrator (one domain), or a gateway (decisions only). */
export type Role =
  | { kind: "server-admin" }
  | { kind: "domain-admin"; domain: string }
  | { kind: "gateway" };

export interface TokenConfig {
  /** Tokens of server administrators. */
  serverAdmin?: string[];
  /** Tokens of domain administrators, by domain. */
  domainAdmin?: Record<string, string[]>;
  /** Tokens of protocol gateways that may only ask `POST /v1/decide`. */
  gateway?: string[];
}

export function roleName(role: Role): string {
  return role.kind === "domain-admin" ? `domain-admin:${role.domain}` : role.kind;
}

/** Fewer characters than this is a password, not a token: refused at startup. */
export const MIN_TOKEN_LENGTH = 16;

/** SHA-256 of a token's UTF-8 bytes. */
export type Sha256 = (text: string) => Uint8Array | Promise<Uint8Array>;

/** Web Crypto's, which every host has (a Node host may pass node:crypto's synchronous one: ~30× faster per call). */
const webSha256: Sha256 = async (text) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));

export class Tokens {
  private constructor(
    private readonly entries: { digest: Uint8Array; role: Role }[],
    private readonly digest: Sha256,
  ) {}

  static async from(config: TokenConfig, options: { sha256?: Sha256 } = {}): Promise<Tokens> {
    const digest = options.sha256 ?? webSha256;
    const entries: { digest: Uint8Array; role: Role }[] = [];
    const add = async (token: string, role: Role) => {
      if (typeof token !== "string" || token.length < MIN_TOKEN_LENGTH) {
        throw new Error(
          `a ${roleName(role)} token must be at least ${MIN_TOKEN_LENGTH} characters`,
        );
      }
      entries.push({ digest: await digest(token), role });
    };
    for (const t of config.serverAdmin ?? []) await add(t, { kind: "server-admin" });
    for (const [domain, tokens] of Object.entries(config.domainAdmin ?? {})) {
      for (const t of tokens) await add(t, { kind: "domain-admin", domain: domain.toLowerCase() });
    }
    for (const t of config.gateway ?? []) await add(t, { kind: "gateway" });
    return new Tokens(entries, digest);
  }

  /** The role of a presented token, or `undefined`. Looks at every entry whatever matches. */
  async roleOf(token: string): Promise<Role | undefined> {
    return (await this.entryOf(token))?.role;
  }

  /** The role named by an `Authorization: Bearer …` header; `null` when there is none. */
  async fromHeader(header: string | null): Promise<Role | undefined | null> {
    const found = await this.identify(header);
    return found ? found.role : found;
  }

  /**
   * The role and an id of the token (`token:<n>`, the same for every use of one token, never
   * derived from its text) in an `Authorization: Bearer …` header; `null` when there is none,
   * `undefined` when the header names no configured token.
   */
  async identify(header: string | null): Promise<{ role: Role; id: string } | undefined | null> {
    if (header === null) return null;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) return undefined;
    return this.entryOf(match[1]!);
  }

  private async entryOf(token: string): Promise<{ role: Role; id: string } | undefined> {
    const presented = await this.digest(token);
    let found: { role: Role; id: string } | undefined;
    this.entries.forEach((entry, n) => {
      let diff = 0;
      for (let i = 0; i < presented.length; i++) diff |= presented[i]! ^ entry.digest[i]!;
      if (diff === 0 && found === undefined) found = { role: entry.role, id: `token:${n}` };
    });
    return found;
  }
}
