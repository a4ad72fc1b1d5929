// `seatcap` command line: simulate / validate / explain a scenario file;
// vendor licence keys and signatures; the edge server (`serve`).
// Failures are one line on stderr (`seatcap: <what>: <why>`), never a stack trace.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { simulate, validateScenario, explain, version, verifyLicence, parseTime } from "./node.js";
import { generateVendorKey, signLicence } from "./licence-keys.js";
import { printable } from "./printable.js";
import type { Failure } from "./types.js";

const USAGE = `usage: seatcap simulate FILE        print the Outcome JSON of a scenario ("-" reads stdin)
       seatcap validate FILE        check a scenario and print a summary
       seatcap explain FILE ACCOUNT FEATURE
                                    why ACCOUNT gets (or not) FEATURE after the scenario's events
       seatcap licence keygen NAME   make a vendor key pair: NAME.key (secret, PEM) and NAME.pub (hex)
       seatcap licence sign --key NAME.key [--serial N] [--issued ISO] FILE
                                    print the licence FILE signed with the vendor key; a server
                                    refuses a licence older (lower serial, earlier issued) than
                                    the one in force (default issued: now; serial: issued in
                                    seconds since 1970)
       seatcap licence verify --key HEX|NAME.pub [--key …] FILE
                                    check FILE's signature against trusted public keys (exit 1 if not)
       seatcap serve [options]      run the edge server (seatcap serve --help)
       seatcap --version`;

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function fail(what: string, why: string): never {
  // One line whatever the file held: a parser's message quotes its bytes (newlines, NULs, escapes).
  throw new Exit(1, `seatcap: ${printable(what)}: ${printable(why)}`);
}

function usage(why: string): never {
  throw new Exit(2, `seatcap: ${printable(why)}\n${USAGE}`);
}

/** How messages name an input: the path as given, or `stdin` for "-". */
function label(file: string): string {
  return file === "-" ? "stdin" : file;
}

function readInput(file: string): string {
  try {
    const text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    // A byte-order mark (Windows editors write one) is not part of the JSON.
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "ENOENT"
        ? "no such file"
        : err.code === "EISDIR"
          ? "is a directory"
          : err.message;
    return fail(label(file), why);
  }
}

function checkJson(file: string, text: string): void {
  try {
    JSON.parse(text);
  } catch (e) {
    fail(label(file), `not valid JSON: ${(e as Error).message}`);
  }
}

function progressReporter(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const start = Date.now();
  return (done, total) => {
    if (Date.now() - start < 300 && done < total) return;
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    process.stderr.write(
      `\rsimulating… ${pct}% (${done.toLocaleString("en")} of ${total.toLocaleString("en")} events)`,
    );
    if (done === total) process.stderr.write("\n");
  };
}

function failure(file: string, result: Failure): never {
  return fail(label(file), result.error.message);
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-V") return write(version());
  if (command === "--help" || command === "-h" || command === "help") return write(USAGE);
  if (command === undefined) usage("no command given");
  switch (command) {
    case "simulate": {
      if (rest.length !== 1) usage("simulate takes one FILE");
      const file = rest[0]!;
      const text = readInput(file);
      checkJson(file, text);
      const onProgress = progressReporter();
      const result = simulate(text, onProgress ? { onProgress } : {});
      if (result.type === "failure") failure(file, result);
      return write(JSON.stringify(result.outcome, null, 2));
    }
    case "validate": {
      if (rest.length !== 1) usage("validate takes one FILE");
      const file = rest[0]!;
      const text = readInput(file);
      checkJson(file, text);
      const result = validateScenario(text);
      if (result.type === "failure") failure(file, result);
      const s = result.summary;
      return write(
        `${label(file)}: valid: ${s.domains} domains, ${s.classes} classes, ${s.accounts} accounts, ` +
          `features ${s.features.join(", ") || "(none)"}, ${s.events} events`,
      );
    }
    case "explain": {
      if (rest.length !== 3) usage("explain takes FILE ACCOUNT FEATURE");
      const [file, account, feature] = rest as [string, string, string];
      const text = readInput(file);
      checkJson(file, text);
      const result = explain(text, account, feature);
      if (result.type === "failure") failure(file, result);
      return write(JSON.stringify(result.explanation, null, 2));
    }
    case "licence":
      return licence(rest);
    case "serve": {
      const { main: serve } = await import("./server/serve.js");
      const running = await serve(rest);
      if (running) {
        const stop = () => void running.close().then(() => process.exit(0));
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      }
      return;
    }
    default:
      usage(`unknown command \`${command}\``);
  }
}

/** `--key X` pairs (and, for `sign`, `--serial N` / `--issued ISO`) out of `args`; the rest are positional. */
function keysAndFiles(
  args: string[],
  allowed: string[] = [],
): { keys: string[]; files: string[]; values: Map<string, string> } {
  const keys: string[] = [];
  const files: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === "--key" || allowed.includes(flag)) {
      const value = args[++i];
      if (value === undefined) usage(`${flag} needs a value`);
      if (flag === "--key") keys.push(value);
      else if (values.has(flag)) usage(`${flag} given twice`);
      else values.set(flag, value);
    } else if (flag.startsWith("--")) usage(`unknown option \`${flag}\``);
    else files.push(flag);
  }
  return { keys, files, values };
}

async function licence(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "keygen": {
      if (rest.length !== 1) usage("licence keygen takes NAME");
      const name = rest[0]!;
      for (const f of [`${name}.key`, `${name}.pub`])
        if (existsSync(f)) fail(f, "already exists; not overwriting a key");
      const key = generateVendorKey();
      writeFileSync(`${name}.key`, key.privatePem, { mode: 0o600 });
      writeFileSync(`${name}.pub`, `${key.publicHex}\n`);
      return write(`${name}.key: private key (keep it secret)\n${name}.pub: ${key.publicHex}`);
    }
    case "sign": {
      const { keys, files, values } = keysAndFiles(rest, ["--serial", "--issued"]);
      if (keys.length !== 1 || files.length !== 1)
        usage("licence sign takes --key NAME.key [--serial N] [--issued ISO] FILE");
      const serialText = values.get("--serial");
      if (serialText !== undefined && !/^\d{1,15}$/.test(serialText))
        usage("--serial: expected a whole number ≥ 0");
      const issued = values.get("--issued");
      if (issued !== undefined && Number.isNaN(parseTime(issued)))
        usage(`--issued: \`${issued}\` is not an ISO-8601 time such as 2026-01-05T09:00:00Z`);
      const pem = readInput(keys[0]!);
      const text = readInput(files[0]!);
      checkJson(files[0]!, text);
      try {
        const options = {
          ...(serialText === undefined ? {} : { serial: Number(serialText) }),
          ...(issued === undefined ? {} : { issued }),
        };
        return write(JSON.stringify(signLicence(text, pem, options), null, 2));
      } catch (e) {
        return fail(label(files[0]!), (e as Error).message);
      }
    }
    case "verify": {
      const { keys, files } = keysAndFiles(rest);
      if (keys.length === 0 || files.length !== 1)
        usage("licence verify takes --key HEX|NAME.pub FILE");
      const trusted = keys.map((k) => (/^[0-9a-fA-F]{64}$/.test(k) ? k : readInput(k).trim()));
      const text = readInput(files[0]!);
      checkJson(files[0]!, text);
      const result = verifyLicence(text, trusted);
      if (result.type === "failure") failure(files[0]!, result);
      const l = result.file.licence;
      const features = Object.entries(l.features)
        .map(([f, s]) => `${f} ${s.seats ?? "unlimited"}`)
        .join(", ");
      return write(
        `${label(files[0]!)}: valid: signed by ${result.file.signedBy}; ` +
          `${l.mailboxes ?? "unlimited"} mailboxes; seats: ${features || "(none)"}; expires ${l.expires ?? "never"}; ` +
          (l.serial === undefined
            ? "no serial (a file from before serials: counts as 0, older than any serial)"
            : `serial ${l.serial}, issued ${l.issued ?? "unknown"}`),
      );
    }
    default:
      usage(
        sub === undefined
          ? "licence needs keygen, sign or verify"
          : `unknown licence command \`${sub}\``,
      );
  }
}

process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
});

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof Exit) {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = e.code;
  } else {
    process.stderr.write(
      `seatcap: internal error: ${printable(e instanceof Error ? e.message : String(e))}\n`,
    );
    process.exitCode = 70;
  }
});
