// A real ActiveSync server and client for the tests, all on 127.0.0.1 under
// one temporary directory: Debian's SOGo (+ ActiveSync) over dovecot,
// memcached and a fresh PostgreSQL database, stunnel for TLS, `seatcap
// serve` in front of SOGo, and pyactivesync as the phone. Installed by
// scripts/setup-peers.sh; configuration templates live in tests/peers/.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, connect as netConnect } from "node:net";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { root, selfSignedCertArgs } from "./helpers.mjs";
import { api, startServer } from "./server-helpers.mjs";
import { PG_URL } from "./stores.mjs";

const run = promisify(execFile);
const PEERS = path.join(root, "tests/peers");
export const VENV =
  process.env.SEATCAP_PEERS_VENV || path.join(homedir(), ".cache/seatcap/peers-venv");
const PYTHON = path.join(VENV, "bin/python");
const TOOLS = {
  sogod: "/usr/sbin/sogod",
  activesync: "/usr/lib/GNUstep/SOGo/ActiveSync.SOGo",
  dovecot: "/usr/sbin/dovecot",
  memcached: "/usr/bin/memcached",
  stunnel: "/usr/bin/stunnel4",
  openssl: "/usr/bin/openssl",
  python: PYTHON,
};

/** Fails (never skips, with or without CI=true) when a piece of the stack is missing. */
export function requirePeers() {
  const missing = Object.entries(TOOLS)
    .filter(([, file]) => !existsSync(file))
    .map(([name, file]) => `${name} (${file})`);
  if (missing.length) {
    throw new Error(
      `the ActiveSync peer tests need ${missing.join(", ")}: run \`bash scripts/setup-peers.sh\` (npm test's setup does)`,
    );
  }
  if (process.getuid?.() !== 0)
    throw new Error(
      "the ActiveSync peer tests start dovecot and run sogod as user `sogo`: they must run as root",
    );
}

/** The uid and gid of a system user (the packages make `sogo`, `mail`, `memcache`). */
function userIds(name) {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no system user ${name}: run \`bash scripts/setup-peers.sh\``);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function fill(template, values) {
  return template.replace(/\$\{([A-Z_]+)\}/g, (_, k) => {
    if (!(k in values)) throw new Error(`template value ${k} is not set`);
    return String(values[k]);
  });
}

/** Resolves once something accepts TCP connections on the port (or the process dies, or time runs out). */
async function waitForPort(port, child, name, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode}:\n${child.output()}`);
    const open = await new Promise((resolve) => {
      const socket = netConnect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(
        `${name} is not listening on 127.0.0.1:${port} after ${timeoutMs} ms:\n${child.output()}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A daemon kept in the foreground, its output kept for failure messages. */
function daemon(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let output = "";
  const keep = (d) => {
    output = (output + d).slice(-20_000);
  };
  child.stdout.setEncoding("utf8").on("data", keep);
  child.stderr.setEncoding("utf8").on("data", keep);
  child.output = () => output;
  child.stopGracefully = async (timeoutMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
  };
  child.label = name;
  return child;
}

/**
 * pyactivesync as one device (tests/peers/eas.py over JSON lines). `call`
 * answers `{ok, result | error, exchanges}`; each exchange is one HTTP answer
 * the command saw: status, reason, headers as sent, body (base64), wbxml.
 */
export class EasClient {
  constructor({ url, username, password, deviceId, ca, user, timeout, retries, keepAlive }) {
    this.opened = { url, username, password, deviceId, ca, user, timeout, retries, keepAlive };
    this.child = spawn(PYTHON, [path.join(PEERS, "eas.py")], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    this.stderr = "";
    this.child.stderr
      .setEncoding("utf8")
      .on("data", (d) => (this.stderr = (this.stderr + d).slice(-20_000)));
    this.waiting = new Map();
    this.next = 0;
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const answer = JSON.parse(line);
      this.waiting.get(answer.id)?.resolve(answer);
      this.waiting.delete(answer.id);
    });
    this.child.once("exit", (code) => {
      for (const { reject } of this.waiting.values())
        reject(new Error(`eas.py exited with ${code}:\n${this.stderr}`));
      this.waiting.clear();
    });
  }

  async open() {
    const answer = await this.call("open", this.opened);
    if (!answer.ok) throw new Error(`eas.py open: ${JSON.stringify(answer.error)}`);
    return this;
  }

  call(cmd, args = {}) {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /** Like `call`, but a failed command throws with everything it saw. */
  async must(cmd, args = {}) {
    const answer = await this.call(cmd, args);
    if (!answer.ok)
      throw new Error(
        `${cmd} failed: ${JSON.stringify(answer.error)}\nexchanges: ${describeExchanges(answer.exchanges)}`,
      );
    return answer;
  }

  async close() {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** A short account of exchanges for assertion messages. */
export function describeExchanges(exchanges = []) {
  return exchanges
    .map(
      (x) =>
        `${x.method} ${x.url.replace(/^https:\/\/[^/]+/, "")} → ${x.status} ${x.reason} ${Buffer.from(x.body, "base64").toString("latin1").slice(0, 200)}`,
    )
    .join("\n");
}

/** An exchange's header value (names compared case-insensitively), or undefined. */
export function header(exchange, name) {
  const found = exchange.headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
  return found?.[1];
}

/**
 * Starts the stack. `users`: [{id, password}] known to SOGo and dovecot.
 * `scenario(users)`: the seatcap scenario imported before any request.
 * `gatewayTls`: "stunnel" (default; stunnel → `seatcap serve`) or "builtin"
 * (`seatcap serve --tls-cert/--tls-key`). Everything started is stopped by
 * `stop()`, which also runs when the Node process exits.
 */
export async function startPeers({ users, scenario, gatewayTls = "stunnel", serverArgs = [] }) {
  requirePeers();
  const started = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), "seatcap-peers-"));
  chmodSync(dir, 0o755); // dovecot's login processes and sogod (other users) go through it
  const children = [];
  const clients = [];
  const pg = await import("pg");
  const dbName = `sogo_t${randomBytes(6).toString("hex")}`;
  let adminDb;
  const stack = { dir, users, dbName, clients };
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", killAll);
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await stack.server?.stop().catch(() => {});
    for (const child of children.reverse()) await child.stopGracefully().catch(() => {});
    if (adminDb) {
      await adminDb.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
      await adminDb.end().catch(() => {});
    }
    if (process.env.SEATCAP_KEEP_PEERS !== "1") rmSync(dir, { recursive: true, force: true });
  };
  // The last resort when a test run dies: no daemon outlives it.
  const killAll = () => {
    for (const child of children) child.kill("SIGKILL");
    for (const c of clients) c.child.kill("SIGKILL");
  };
  process.on("exit", killAll);
  stack.stop = stop;

  try {
    const [imapPort, memcachedPort, sogoPort, directTlsPort, gatewayTlsPort] = await Promise.all(
      Array.from({ length: 5 }, freePort),
    );
    Object.assign(stack, { imapPort, sogoPort });

    // TLS: one self-signed certificate for 127.0.0.1, trusted by the client alone.
    mkdirSync(path.join(dir, "tls"));
    const cert = path.join(dir, "tls/cert.pem");
    const key = path.join(dir, "tls/key.pem");
    await run(TOOLS.openssl, selfSignedCertArgs({ key, cert, cn: "127.0.0.1" }));
    Object.assign(stack, { ca: cert, cert, key });

    // memcached (SOGo's session and cache store).
    const memcached = daemon("memcached", TOOLS.memcached, [
      "-l",
      "127.0.0.1",
      "-p",
      String(memcachedPort),
      "-U",
      "0",
      "-m",
      "16",
      "-u",
      "memcache",
    ]);
    children.push(memcached);

    // dovecot: IMAP on its own port, passwd-file users, mail under the temp dir owned by `mail`.
    for (const d of ["dovecot/run", "dovecot/state", "mail"])
      mkdirSync(path.join(dir, d), { recursive: true });
    const mail = userIds("mail");
    chownSync(path.join(dir, "mail"), mail.uid, mail.gid);
    writeFileSync(
      path.join(dir, "dovecot/users"),
      `${users.map((u) => `${u.id}:{PLAIN}${u.password}`).join("\n")}\n`,
    );
    const dovecotConf = path.join(dir, "dovecot/dovecot.conf");
    writeFileSync(
      dovecotConf,
      fill(readFileSync(path.join(PEERS, "dovecot.conf"), "utf8"), {
        DIR: dir,
        IMAP_PORT: imapPort,
      }),
    );
    const dovecot = daemon("dovecot", TOOLS.dovecot, ["-F", "-c", dovecotConf]);
    children.push(dovecot);

    // PostgreSQL: a database of its own, with the SQL user source SOGo authenticates against.
    adminDb = new pg.default.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
    await adminDb.connect();
    await adminDb.query(`CREATE DATABASE ${dbName}`);
    const pgUrl = new URL(PG_URL);
    pgUrl.pathname = `/${dbName}`;
    const sogoDb = new pg.default.Client({ connectionString: pgUrl.href });
    await sogoDb.connect();
    try {
      await sogoDb.query(
        "CREATE TABLE sogo_users (c_uid varchar(255) PRIMARY KEY, c_name varchar(255), c_password varchar(255), c_cn varchar(255), mail varchar(255))",
      );
      for (const u of users) {
        await sogoDb.query("INSERT INTO sogo_users VALUES ($1, $1, $2, $3, $1)", [
          u.id,
          u.password,
          u.id.split("@")[0],
        ]);
      }
    } finally {
      await sogoDb.end();
    }
    const auth = pgUrl.username
      ? `${decodeURIComponent(pgUrl.username)}${pgUrl.password ? `:${decodeURIComponent(pgUrl.password)}` : ""}@`
      : "";
    const sogoPg = `postgresql://${auth}${pgUrl.hostname}:${pgUrl.port || 5432}/${dbName}`;

    await waitForPort(imapPort, dovecot, "dovecot");
    await waitForPort(memcachedPort, memcached, "memcached");
    // Dovecot keeps mod-sequences only for mailboxes a CONDSTORE client has opened; SOGo's Sync keys need them.
    for (const u of users)
      await mailbox({ cmd: "prepare", port: imapPort, user: u.id, password: u.password });

    // sogod as user `sogo`, configured on its command line from tests/peers/sogo.conf.
    const sogoUser = userIds("sogo");
    mkdirSync(path.join(dir, "sogo"));
    chownSync(path.join(dir, "sogo"), sogoUser.uid, sogoUser.gid);
    const sogoArgs = sogoArguments(
      fill(readFileSync(path.join(PEERS, "sogo.conf"), "utf8"), {
        DIR: dir,
        SOGO_PORT: sogoPort,
        PG: sogoPg,
        MEMCACHED_PORT: memcachedPort,
        IMAP_PORT: imapPort,
      }),
    );
    const sogod = daemon(
      "sogod",
      "/bin/bash",
      [
        "-c",
        '. /usr/share/GNUstep/Makefiles/GNUstep.sh && exec "$0" "$@"',
        TOOLS.sogod,
        ...sogoArgs,
      ],
      {
        uid: sogoUser.uid,
        gid: sogoUser.gid,
        cwd: path.join(dir, "sogo"),
        env: { PATH: process.env.PATH, HOME: path.join(dir, "sogo"), LANG: "C.UTF-8" },
      },
    );
    sogod.output = (
      (inner) => () =>
        `${inner()}\n--- sogo.log ---\n${tail(path.join(dir, "sogo/sogo.log"))}`
    )(sogod.output);
    children.push(sogod);
    await waitForHttp(`http://127.0.0.1:${sogoPort}/SOGo/Microsoft-Server-ActiveSync`, sogod);
    stack.upstream = `http://127.0.0.1:${sogoPort}/SOGo`;

    // seatcap in front of SOGo, its licence and directory imported through the admin API.
    const adminToken = `peers-admin-${randomBytes(12).toString("hex")}`;
    const tlsArgs = gatewayTls === "builtin" ? ["--tls-cert", cert, "--tls-key", key] : [];
    stack.server = await startServer({
      args: [
        "--upstream",
        stack.upstream,
        "--admin-token",
        adminToken,
        "--dev",
        ...tlsArgs,
        ...serverArgs,
      ],
    });
    stack.admin = api(stack.server.url, adminToken);
    const imported = await stack.admin.post("/v1/import", scenario(users));
    if (imported.status !== 200)
      throw new Error(`POST /v1/import answered ${imported.status}: ${imported.text}`);

    // TLS for the client: stunnel → SOGo (direct) and stunnel → seatcap (gateway), or seatcap's own.
    const serverPort = new URL(stack.server.url).port;
    const stunnelConf = path.join(dir, "tls/stunnel.conf");
    mkdirSync(path.join(dir, "stunnel"));
    const service = (name, accept, target) =>
      `\n[${name}]\naccept = 127.0.0.1:${accept}\nconnect = 127.0.0.1:${target}\ncert = ${cert}\nkey = ${key}\n`;
    writeFileSync(
      stunnelConf,
      fill(readFileSync(path.join(PEERS, "stunnel.conf"), "utf8"), { DIR: dir }) +
        service("direct", directTlsPort, sogoPort) +
        (gatewayTls === "stunnel" ? service("gateway", gatewayTlsPort, serverPort) : ""),
    );
    const stunnel = daemon("stunnel", TOOLS.stunnel, [stunnelConf]);
    stunnel.output = (
      (inner) => () =>
        `${inner()}\n${tail(path.join(dir, "stunnel/stunnel.log"))}`
    )(stunnel.output);
    children.push(stunnel);
    await waitForPort(directTlsPort, stunnel, "stunnel");
    stack.direct = `https://127.0.0.1:${directTlsPort}/SOGo/Microsoft-Server-ActiveSync`;
    if (gatewayTls === "stunnel") {
      await waitForPort(gatewayTlsPort, stunnel, "stunnel");
      stack.gateway = `https://127.0.0.1:${gatewayTlsPort}/Microsoft-Server-ActiveSync`;
    } else {
      stack.gateway = `https://127.0.0.1:${serverPort}/Microsoft-Server-ActiveSync`;
    }
    stack.startSeconds = (Date.now() - started) / 1000;
  } catch (e) {
    const logs = children.map((c) => `--- ${c.label} ---\n${c.output().slice(-3000)}`).join("\n");
    await stop();
    throw new Error(`${e.message}\n${logs}`);
  }

  /**
   * A pyactivesync device for `user` through "direct" (TLS → SOGo) or "gateway" (TLS → seatcap → SOGo).
   * `retries`: how often a 5xx is tried again (pyactivesync's own 3 by default; 0 shows every answer).
   */
  stack.client = async (
    user,
    { via, deviceId, password = user.password, timeout = 60, retries = 3 },
  ) => {
    if (via !== "direct" && via !== "gateway")
      throw new Error(`via: "direct" or "gateway", not ${via}`);
    const direct = via === "direct";
    // Straight to SOGo a connection is never reused (SOGo closes each one unannounced); through the gateway it is.
    const client = new EasClient({
      url: direct ? stack.direct : stack.gateway,
      username: user.id,
      password,
      deviceId,
      ca: stack.ca,
      timeout,
      retries,
      keepAlive: !direct,
    });
    clients.push(client);
    return client.open();
  };
  /** Delivers one mail to the user's INBOX (IMAP APPEND into dovecot). */
  stack.deliver = (user, subject) =>
    mailbox({
      cmd: "deliver",
      port: stack.imapPort,
      user: user.id,
      password: user.password,
      subject,
    });
  /** The tails of every daemon's log, for a failing test's message. */
  stack.logs = () =>
    [
      ...children.map((c) => `--- ${c.label} ---\n${c.output().slice(-4000)}`),
      `--- seatcap ---\n${stack.server.output().slice(-4000)}`,
    ].join("\n");
  return stack;
}

/** `Key = value;` lines of a SOGo plist template as `-Key value` arguments (values stay plist text). */
export function sogoArguments(conf) {
  const args = [];
  for (const line of conf.split("\n")) {
    const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*);\s*$/.exec(line);
    if (m) args.push(`-${m[1]}`, m[2]);
  }
  return args;
}

async function mailbox(command) {
  const { stdout } = await run(PYTHON, [path.join(PEERS, "mailbox.py"), JSON.stringify(command)]);
  return JSON.parse(stdout);
}

/** Resolves once sogod's workers answer HTTP (its watchdog listens before they are ready). */
async function waitForHttp(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${child.label} exited with ${child.exitCode}:\n${child.output()}`);
    try {
      const res = await fetch(url, { method: "OPTIONS", signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status === 401) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(
        `${child.label} did not answer ${url} in ${timeoutMs} ms:\n${child.output()}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function tail(file, chars = 4000) {
  try {
    return readFileSync(file, "utf8").slice(-chars);
  } catch {
    return "";
  }
}
