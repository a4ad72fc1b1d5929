// `seatcap` command line: simulate / validate / explain a scenario file.
// Failures are one line on stderr (`seatcap: <what>: <why>`), never a stack trace.
import { readFileSync } from "node:fs";
import { simulate, validateScenario, explain, version } from "./node.js";
import type { Failure } from "./types.js";

const USAGE = `usage: seatcap simulate FILE        print the Outcome JSON of a scenario ("-" reads stdin)
       seatcap validate FILE        check a scenario and print a summary
       seatcap explain FILE ACCOUNT FEATURE
                                    why ACCOUNT gets (or not) FEATURE after the scenario's events
       seatcap --version`;

class Exit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

function fail(what: string, why: string): never {
  throw new Exit(1, `seatcap: ${what}: ${why}`);
}

function usage(why: string): never {
  throw new Exit(2, `seatcap: ${why}\n${USAGE}`);
}

/** How messages name an input: the path as given, or `stdin` for "-". */
function label(file: string): string {
  return file === "-" ? "stdin" : file;
}

function readInput(file: string): string {
  try {
    return file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.message;
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
    process.stderr.write(`\rsimulating… ${pct}% (${done.toLocaleString("en")} of ${total.toLocaleString("en")} events)`);
    if (done === total) process.stderr.write("\n");
  };
}

function failure(file: string, result: Failure): never {
  return fail(label(file), result.error.message);
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text + "\n", () => resolve()));
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
    default:
      usage(`unknown command \`${command}\``);
  }
}

process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
});

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof Exit) {
    process.stderr.write(e.message + "\n");
    process.exitCode = e.code;
  } else {
    process.stderr.write(`seatcap: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 70;
  }
});
