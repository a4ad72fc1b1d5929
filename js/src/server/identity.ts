// Who an ActiveSync request is for, taken only from credentials the mail
// server itself will check. `?User=` never picks the account: a capped user
// could otherwise send its own credentials with a holder's name and ride that
// holder's seat (issue 12, item 7).

/** How login names become account ids. */
export interface LoginNames {
  /** Domain for a login name without one (`jo` → `jo@<defaultDomain>`); unset, such a name is refused. */
  defaultDomain?: string;
  /**
   * Windows `DOMAIN\user` names: NetBIOS domain (case-insensitive) → mail domain. A NetBIOS name
   * missing from a non-empty table is refused; with no table, `EXAMPLE\jo` becomes `jo@example`.
   */
  netbios?: Record<string, string>;
}

export type Identity =
  /** Basic credentials naming an account the engine can decide on. */
  | { kind: "account"; account: string }
  /** No `Authorization` at all: the client is asked to sign in. */
  | { kind: "anonymous" }
  /** Credentials seatcap can't read an account from (`Bearer`, `Negotiate`, `NTLM`, several headers, junk). */
  | { kind: "unreadable"; why: string };

const BASIC = /^Basic ([A-Za-z0-9+/]+={0,2})$/i;
const SCHEME = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:[ \t]|$)/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function identify(authorization: string | null, names: LoginNames = {}): Identity {
  if (authorization === null || authorization === "") return { kind: "anonymous" };
  // Fetch joins repeated headers with ", ": two Authorization headers can't match BASIC.
  const basic = BASIC.exec(authorization);
  if (!basic) {
    const scheme = SCHEME.exec(authorization)?.[1];
    const why =
      scheme && !/^basic$/i.test(scheme)
        ? `${scheme} credentials don't name the account in a way seatcap can check; use Basic authentication (over TLS)`
        : "the Authorization header is not one well-formed Basic credential";
    return { kind: "unreadable", why };
  }
  let decoded: string;
  try {
    decoded = strictUtf8.decode(Uint8Array.from(atob(basic[1]!), (ch) => ch.charCodeAt(0)));
  } catch {
    return { kind: "unreadable", why: "the Basic credential is not valid base64 UTF-8" };
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0)
    return { kind: "unreadable", why: "the Basic credential has no user name and password" };
  const login = decoded.slice(0, colon);
  const account = accountOfLogin(login, names);
  return account === undefined
    ? { kind: "unreadable", why: `the login name has no known mail domain` }
    : { kind: "account", account };
}

/** `user@domain` as is; `DOMAIN\user` through the NetBIOS table; a bare `user` in the default domain. */
export function accountOfLogin(login: string, names: LoginNames = {}): string | undefined {
  const windows = /^([^\\@]+)\\([^\\@]+)$/.exec(login);
  if (windows) {
    const table = names.netbios ?? {};
    const netbios = windows[1]!.toLowerCase();
    const mapped = Object.keys(table).length === 0 ? netbios : lookup(table, netbios);
    return mapped === undefined ? undefined : `${windows[2]}@${mapped}`;
  }
  if (login.includes("@")) return login;
  return names.defaultDomain === undefined ? undefined : `${login}@${names.defaultDomain}`;
}

function lookup(table: Record<string, string>, netbios: string): string | undefined {
  for (const [name, domain] of Object.entries(table))
    if (name.toLowerCase() === netbios) return domain;
  return undefined;
}
