/**
 * The layers of `src/`, bottom up: a module imports only from its own folder or one below it, so
 * the stages stand on the legacy source and the apply, logging sits on the ground floor, and
 * nothing reaches up into a stage above it. The order is the README's Layout.
 */
import assert from "node:assert/strict";

const LAYERS = [
  "config.ts",
  "logging",
  "policy",
  "db",
  "legacy",
  "apply",
  "apply/lifecycle",
  "snapshot",
  "replication",
  "verify",
  "status",
  "demo",
  "sync",
  "http",
  "telemetry",
  "commands",
  "main.ts",
];

const SRC = new URL("./", import.meta.url);

/** The layer of a path relative to `src/`: its longest listed folder or file. */
function layerOf(path: string): number {
  let best = -1;
  let length = -1;
  LAYERS.forEach((layer, index) => {
    if ((path === layer || path.startsWith(`${layer}/`)) && layer.length > length) {
      best = index;
      length = layer.length;
    }
  });
  return best;
}

async function* modules(dir: URL, prefix = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) yield* modules(new URL(`${entry.name}/`, dir), `${path}/`);
    else if (path.endsWith(".ts") && !path.endsWith("_test.ts") && !path.endsWith("_bench.ts")) {
      yield path;
    }
  }
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

Deno.test("every module of src/ imports only from its own layer or one below", async () => {
  const upward: string[] = [];
  let imports = 0;
  for await (const path of modules(SRC)) {
    const from = layerOf(path);
    assert.notEqual(from, -1, `${path} is in no layer: add its folder to LAYERS and the README`);
    const text = await Deno.readTextFile(new URL(path, SRC));
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*"(\.\.?\/[^"]+)"/g)) {
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
      const target = normalize(`${dir}${match[1]}`);
      if (target.startsWith("..")) continue;
      imports++;
      const to = layerOf(target);
      if (to > from) upward.push(`${path} → ${target}`);
    }
  }
  assert.ok(imports > 100, `found only ${imports} imports: the scan is broken`);
  assert.deepEqual(upward, [], "imports that reach up a layer");
});

Deno.test("the layer check sees an upward import", () => {
  assert.ok(layerOf("apply/plan_changes.ts") < layerOf("replication/legacy_stream.ts"));
  assert.ok(layerOf("apply/lifecycle/name_conflicts.ts") > layerOf("apply/plan_changes.ts"));
  assert.equal(layerOf("logging/logging.ts"), 1);
});
