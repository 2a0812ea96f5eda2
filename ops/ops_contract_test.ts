import assert from "node:assert/strict";
import { METRIC_NAMES } from "../src/telemetry/metric_names.ts";

const read = (path: string) => Deno.readTextFileSync(new URL(path, import.meta.url));
const KNOWN = new Set<string>(Object.values(METRIC_NAMES));

/** The metric names `text` mentions, histogram and counter suffixes folded back. */
function metricsIn(text: string): Set<string> {
  const names = text.match(/\bidentity_(?:sync_)?[a-z_]+/g) ?? [];
  return new Set(names.map((name) => name.replace(/_(bucket|count|sum)$/, "")));
}

Deno.test("the alert rules and the dashboard use only metrics the service exports", async (t) => {
  for (const file of ["prometheus/alerts.yaml", "prometheus/alerts_test.yaml"]) {
    await t.step(file, () => {
      for (const name of metricsIn(read(file))) assert.ok(KNOWN.has(name), `${file}: ${name}`);
    });
  }
  await t.step("grafana/identity-sync.json", () => {
    const dashboard = JSON.parse(read("grafana/identity-sync.json"));
    const exprs = dashboard.panels.flatMap((panel: { targets?: { expr: string }[] }) =>
      (panel.targets ?? []).map((target) => target.expr)
    );
    const used = metricsIn(exprs.join("\n"));
    for (const name of used) assert.ok(KNOWN.has(name), name);
    // Every exported series has a panel.
    for (const name of KNOWN) assert.ok(used.has(name), `no panel shows ${name}`);
  });
});

Deno.test("every alert has promtool cases and a runbook section", () => {
  const rules = read("prometheus/alerts.yaml");
  const tests = read("prometheus/alerts_test.yaml");
  const runbook = read("../docs/runbook.md");
  const anchors = new Set(
    [...runbook.matchAll(/^#+ (.+)$/gm)].map((match) =>
      match[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, "").replaceAll(" ", "-")
    ),
  );
  const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((match) => match[1]!);
  assert.equal(alerts.length, 10);
  for (const alert of alerts) {
    assert.match(tests, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts: \\[\\]`), alert);
    assert.match(tests, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n`), alert);
  }
  for (const [, anchor] of rules.matchAll(/runbook: "docs\/runbook\.md#([a-z0-9-]+)"/g)) {
    assert.ok(anchors.has(anchor!), `docs/runbook.md has no section #${anchor}`);
  }
});
