// A PostgreSQL cluster of a test's own: initdb in a temp dir, a free port on
// 127.0.0.1 and its socket in that dir, started and stopped by the test
// (`stop("fast" | "immediate")`, `start()` again on the same data), removed
// at `destroy()`. Root can't run initdb, so as root the cluster belongs to
// the `postgres` user. Without the binaries, CI=true fails loudly.
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const PG_BIN = process.env.SEATCAP_PG_BIN || "/usr/lib/postgresql/15/bin";

/** Whether a cluster can be made here; with CI=true a missing PostgreSQL is an error. */
export function clusterAvailable() {
  if (existsSync(path.join(PG_BIN, "initdb"))) return true;
  if (process.env.CI === "true")
    throw new Error(
      `PostgreSQL's initdb is required with CI=true (looked in ${PG_BIN}; set SEATCAP_PG_BIN)`,
    );
  console.error(
    `\n!!! no initdb in ${PG_BIN}: the tests that restart a PostgreSQL cluster did NOT run !!!\n`,
  );
  return false;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startCluster() {
  const dir = mkdtempSync(path.join(tmpdir(), "seatcap-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, ...(await ids("postgres")));
  const as = (bin, args) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", path.join(PG_BIN, bin), ...args])
      : run(path.join(PG_BIN, bin), args);
  const data = path.join(dir, "data");
  const user = asRoot ? "postgres" : (await run("id", ["-un"])).stdout.trim();
  await as("initdb", [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    user,
    "--no-sync",
    "--no-instructions",
    "-E",
    "UTF8",
  ]);
  const port = await freePort();
  // fsync off: a test's cluster; an immediate stop still keeps every commit (the OS has the pages).
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const cluster = {
    url: `postgres://${user}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async start() {
      await as("pg_ctl", [
        "-D",
        data,
        "-o",
        options,
        "-l",
        path.join(dir, "log"),
        "-w",
        "-t",
        "60",
        "start",
      ]);
    },
    /** `fast` rolls back open transactions and closes sessions; `immediate` is a crash (recovery on start). */
    async stop(mode = "fast") {
      await as("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]);
    },
    async destroy() {
      await cluster.stop("immediate").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

async function ids(name) {
  const [uid, gid] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
  return [Number(uid.stdout), Number(gid.stdout)];
}
