/** The project's commands as the benchmarks run them: in a process of their own, as deployed. */

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** The databases a command works on. */
export interface ProjectDatabases {
  legacyUrl: string;
  identityUrl: string;
}

/** The slot and publication the project's commands use in the benchmarks (the defaults). */
export const PROJECT_SLOT = "identity_sync";
/** See {@linkcode PROJECT_SLOT}. */
export const PROJECT_PUBLICATION = "identity_sync";

/**
 * `deno run` of `src/main.ts <command>` with the V8 flags of the deno.json task of the same name,
 * on `databases`, both listeners on free ports, `env` on top.
 */
export function projectCommand(
  command: "snapshot" | "sync",
  databases: ProjectDatabases,
  options: { env?: Record<string, string>; stdout?: "piped" | "null" } = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...taskV8Flags(command), MAIN, command],
    env: {
      LEGACY_DATABASE_URL: databases.legacyUrl,
      IDENTITY_DATABASE_URL: databases.identityUrl,
      SLOT_NAME: PROJECT_SLOT,
      PUBLICATION_NAME: PROJECT_PUBLICATION,
      OPS_HTTP_PORT: "0",
      API_HTTP_PORT: "0",
      // Set, so that the daemon does not warn that the account API's writes are off.
      API_TOKEN: crypto.randomUUID(),
      LOG_LEVEL: Deno.env.get("LOG_LEVEL") ?? "warning",
      ...options.env,
    },
    stdout: options.stdout ?? "null",
    stderr: "inherit",
  });
}

/** The V8 flags a deno.json task passes, so that the benchmark runs it as production does. */
export function taskV8Flags(task: string): string[] {
  const command = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)))
    .tasks[task].command as string;
  return command.split(" ").filter((arg) => arg.startsWith("--v8-flags="));
}
