/**
 * compose.yaml cannot be started here (no container engine), so this keeps it true to the project:
 * every path it mounts or runs, every task, variable, port and service name it uses is checked
 * against the repository, deno.json, src/config.ts and the Prometheus and Grafana files.
 */
import assert from "node:assert/strict";
import { promtool } from "./promtool.ts";
import { posix } from "node:path";
import { parse } from "yaml";
import { RETIRED_SETTINGS, SETTINGS } from "../src/config.ts";

/** Variables the daemons are given that are not settings of src/config.ts, each with why. */
const NOT_SETTINGS: Record<string, string> = {
  DENO_NO_UPDATE_CHECK: "read by Deno: no look for a newer Deno from inside a container",
};

interface Service {
  image?: string;
  command?: string[];
  working_dir?: string;
  environment?: Record<string, string | null>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

interface Mount {
  source: string;
  target: string;
  /** A path of the host (a bind mount), not a named volume. */
  bind: boolean;
}

const ROOT = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, ROOT));
const readYaml = (path: string) => parse(read(path), { merge: true });

/** Whether `path` (of the repository) exists. */
function exists(path: string): boolean {
  try {
    Deno.statSync(new URL(path, ROOT));
    return true;
  } catch {
    return false;
  }
}

const compose: { services: Record<string, Service>; volumes: Record<string, unknown> } = readYaml(
  "compose.yaml",
);
const services = Object.entries(compose.services);
const daemons = services.filter(([, service]) => service.command?.join(" ") === "deno task sync");
const env = (service: Service, name: string) => String(service.environment?.[name]);

/** The service's volumes, `source:target[:mode]`. */
function mounts(service: Service): Mount[] {
  return (service.volumes ?? []).map((entry) => {
    const [source, target] = entry.split(":") as [string, string];
    return { source, target, bind: /^[./]/.test(source) };
  });
}

/** The repository path that `path` in the service's container is, through its bind mounts. */
function hostPath(service: Service, path: string): string | undefined {
  const absolute = posix.resolve(service.working_dir ?? "/", path);
  const mount = mounts(service)
    .filter(({ target }) => absolute === target || absolute.startsWith(`${target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
  if (!mount?.bind) return undefined;
  return posix.normalize(mount.source + absolute.slice(mount.target.length));
}

/** Prometheus's config file, as its command names it in the container and in the repository. */
function prometheusConfig(): { file: string; path: string } {
  const prometheus = compose.services.prometheus!;
  const flag = "--config.file=";
  const file = prometheus.command!.find((arg) => arg.startsWith(flag))!.slice(flag.length);
  return { file, path: hostPath(prometheus, file)! };
}

/** Every `datasource` a dashboard's panels name, however deep. */
function datasources(value: unknown): { type: string; uid: string }[] {
  if (Array.isArray(value)) return value.flatMap(datasources);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === "datasource" ? [inner] : datasources(inner)
  );
}

/** The commands a service runs: its own and its health check's. */
function commands(service: Service): string[][] {
  const test = service.healthcheck?.test;
  return [service.command ?? [], test?.[0] === "CMD" ? test.slice(1) : []];
}

Deno.test("compose.yaml agrees with the project", async (t) => {
  await t.step("there are two sync daemons", () => {
    assert.deepEqual(daemons.map(([name]) => name), ["sync-a", "sync-b"]);
  });

  await t.step("every bind-mounted host path exists, every named volume is declared", () => {
    for (const [name, service] of services) {
      for (const { source, bind } of mounts(service)) {
        if (bind) assert.ok(exists(source), `${name} mounts ${source}, which does not exist`);
        else assert.ok(source in compose.volumes, `${name} mounts undeclared volume ${source}`);
      }
    }
  });

  await t.step("every deno task a service runs is a task of deno.json", () => {
    for (const [name, service] of services) {
      for (const command of commands(service)) {
        if (command[0] !== "deno" || command[1] !== "task") continue;
        const tasks = JSON.parse(read(hostPath(service, "deno.json") ?? "(not mounted)")).tasks;
        assert.ok(command[2]! in tasks, `${name} runs deno task ${command[2]}, not in deno.json`);
      }
    }
  });

  await t.step("every script a service runs is a mounted file of the repository", () => {
    for (const [name, service] of services) {
      for (const script of commands(service).flat().filter((arg) => arg.endsWith(".ts"))) {
        const path = hostPath(service, script);
        assert.ok(path && exists(path), `${name} runs ${script}, not a mounted repository file`);
      }
    }
  });

  await t.step("the daemons' variables are settings of src/config.ts, none retired", () => {
    const settings = new Set<string>(Object.values(SETTINGS).map((setting) => setting.env));
    for (const [name, service] of daemons) {
      for (const variable of Object.keys(service.environment ?? {})) {
        assert.ok(!(variable in RETIRED_SETTINGS), `${name} sets retired ${variable}`);
        assert.ok(
          settings.has(variable) || variable in NOT_SETTINGS,
          `${name} sets ${variable}, which src/config.ts does not read`,
        );
      }
    }
  });

  await t.step("each daemon is probed on its ops port and publishes its API port only", () => {
    for (const [name, service] of daemons) {
      assert.equal(env(service, "OPS_HTTP_HOST"), "0.0.0.0", `${name}: OPS_HTTP_HOST`);
      assert.equal(env(service, "API_HTTP_HOST"), "0.0.0.0", `${name}: API_HTTP_HOST`);
      const probe = new URL(commands(service)[1]!.find((arg) => arg.startsWith("http://"))!);
      assert.equal(probe.port, env(service, "OPS_HTTP_PORT"), `${name}: health check port`);
      assert.equal(probe.pathname, "/readyz", `${name}: health check path`);
      const published = (service.ports ?? []).map((port) => port.split(":").at(-1));
      assert.deepEqual(published, [env(service, "API_HTTP_PORT")], `${name}: published ports`);
    }
  });

  await t.step("every published port is on 127.0.0.1, each host port once", () => {
    const ports = services.flatMap(([, service]) => service.ports ?? []);
    for (const port of ports) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/);
    const hostPorts = ports.map((port) => port.split(":")[1]);
    assert.equal(new Set(hostPorts).size, hostPorts.length, `host ports: ${hostPorts}`);
  });

  await t.step("the database URLs name the two PostgreSQL services and their databases", () => {
    for (const [name, service] of daemons) {
      const urls = ["LEGACY_DATABASE_URL", "IDENTITY_DATABASE_URL"]
        .map((variable) => new URL(env(service, variable)));
      assert.notEqual(urls[0]!.hostname, urls[1]!.hostname, `${name}: one server for both`);
      for (const url of urls) {
        const database = compose.services[url.hostname] ?? {};
        assert.ok(database.image?.startsWith("postgres:"), `${name}: no service ${url.hostname}`);
        assert.equal(url.port, "5432", `${name}: ${url.hostname}'s port`);
        assert.equal(url.pathname, `/${env(database, "POSTGRES_DB")}`, `${name}: database name`);
        assert.equal(service.depends_on?.[url.hostname]?.condition, "service_healthy");
      }
      const identity = compose.services[urls[1]!.hostname]!;
      assert.equal(urls[1]!.username, env(identity, "POSTGRES_USER"), `${name}: identity user`);
      assert.equal(urls[1]!.password, env(identity, "POSTGRES_PASSWORD"), `${name}: password`);
    }
  });

  await t.step("the legacy init script creates the daemons' role and publication", () => {
    const [, service] = daemons[0]!;
    const url = new URL(env(service, "LEGACY_DATABASE_URL"));
    const script = mounts(compose.services[url.hostname]!)
      .filter(({ target }) => target.startsWith("/docker-entrypoint-initdb.d/"))
      .map(({ source }) => read(source)).join("\n");
    assert.match(
      script,
      new RegExp(`create role ${url.username} login replication password '${url.password}'`),
    );
    assert.match(script, new RegExp(`grant select on public\\.users to ${url.username};`));
    assert.match(
      script,
      new RegExp(
        `create publication ${env(service, "PUBLICATION_NAME")} for table public\\.users;`,
      ),
    );
  });

  await t.step("the legacy PostgreSQL decodes logically", () => {
    const url = new URL(env(daemons[0]![1], "LEGACY_DATABASE_URL"));
    const command = compose.services[url.hostname]!.command ?? [];
    assert.equal(command[command.indexOf("wal_level=logical") - 1], "-c", command.join(" "));
  });

  await t.step("Prometheus loads the mounted alerts.yaml and scrapes both daemons", () => {
    const { file, path } = prometheusConfig();
    const config = readYaml(path);
    const rules = config.rule_files.map((rule: string) =>
      hostPath(compose.services.prometheus!, posix.resolve(posix.dirname(file), rule))
    );
    assert.deepEqual(rules, ["ops/prometheus/alerts.yaml"], "rule_files, as mounted");
    const targets = config.scrape_configs.flatMap((job: { static_configs: unknown[] }) =>
      job.static_configs.flatMap((group) => (group as { targets: string[] }).targets)
    );
    const daemonTargets = daemons.map(([name, s]) => `${name}:${env(s, "OPS_HTTP_PORT")}`);
    assert.deepEqual(targets.sort(), daemonTargets.sort(), "scrape targets");
  });

  await t.step("promtool accepts the Prometheus config and its rules", async () => {
    const text = await promtool(ROOT, "check", "config", prometheusConfig().path);
    assert.match(text, /SUCCESS: 1 rule files found/);
  });

  await t.step("Grafana provisions the dashboard on the Prometheus it references", () => {
    const grafana = compose.services.grafana!;
    const provisioning = hostPath(grafana, "/etc/grafana/provisioning")!;
    const [source] = readYaml(`${provisioning}/datasources/prometheus.yaml`).datasources;
    const listen = compose.services.prometheus!.command!
      .find((arg) => arg.startsWith("--web.listen-address="))?.split(":").at(-1) ?? "9090";
    assert.equal(new URL(source.url).host, `prometheus:${listen}`, "the datasource's URL");
    const [provider] = readYaml(`${provisioning}/dashboards/identity-sync.yaml`).providers;
    const path = hostPath(grafana, `${provider.options.path}/identity-sync.json`);
    assert.equal(path, "ops/grafana/identity-sync.json", "the dashboard in the provider's folder");
    const dashboard = JSON.parse(read(path!));
    const variables = new Map<string, { type: string; query: string; current: { value: string } }>(
      dashboard.templating.list.map((v: { name: string }) => [v.name, v]),
    );
    const references = datasources(dashboard.panels);
    assert.ok(references.length > 0, "the panels name no datasource");
    for (const { type, uid } of references) {
      const variable = variables.get(/^\$\{(\w+)\}$/.exec(uid)?.[1] ?? "");
      assert.equal(type, source.type, uid);
      assert.equal(variable?.type ?? "datasource", "datasource", uid);
      assert.equal(variable?.query ?? type, source.type, uid);
      assert.equal(variable?.current.value ?? uid, source.uid, uid);
    }
  });

  await t.step("the two daemons share one slot and differ only in their published ports", () => {
    const [[, a], [, b]] = daemons as [[string, Service], [string, Service]];
    assert.ok(a.environment?.SLOT_NAME && a.environment?.PUBLICATION_NAME);
    const { ports: _a, ...restA } = a;
    const { ports: _b, ...restB } = b;
    assert.deepEqual(restA, restB, "sync-a and sync-b differ");
  });

  await t.step("the daemons start after one npm install, into the node_modules they use", () => {
    const deno = services.filter(([, service]) => service.image?.startsWith("denoland/deno:"));
    const installs = deno.filter(([, service]) => service.command?.join(" ") === "deno install");
    assert.equal(installs.length, 1, "one install service");
    const [install, installer] = installs[0]!;
    const modules = (service: Service) =>
      mounts(service).find(({ target }) => target === `${service.working_dir}/node_modules`);
    assert.equal(modules(installer)?.bind, false, "node_modules is a named volume");
    for (const [name, service] of deno) {
      assert.equal(modules(service)?.source, modules(installer)!.source, `${name}: node_modules`);
      if (name === install) continue;
      assert.equal(
        service.depends_on?.[install]?.condition,
        "service_completed_successfully",
        `${name} waits for ${install}`,
      );
    }
  });
});
