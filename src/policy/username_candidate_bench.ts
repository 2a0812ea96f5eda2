import { protectedNames } from "./protected_names.ts";
import { usernameCandidate } from "./username_candidate.ts";

// A mix shaped like a legacy table: mostly valid ASCII names, some needing repair, a few Unicode.
const exact = Array.from({ length: 1000 }, (_, i) => `User.Name${i}`);
const asciiRepair = Array.from({ length: 1000 }, (_, i) => `  John Smith-${i}! `);
const unicode = Array.from({ length: 1000 }, (_, i) => `Αλέξης_Москва_${i}😀`);
const mixed = [...exact, ...exact, ...exact, ...exact, ...exact, ...exact, ...exact, ...exact];
mixed.push(...asciiRepair, ...unicode);
const brands = protectedNames(["paypal", "microsoft", "google", "github"]);

function run(values: string[], options = {}): void {
  for (const value of values) usernameCandidate(value, options);
}

Deno.bench("usernameCandidate() 1,000 exact ASCII names", { group: "tier", baseline: true }, () => {
  run(exact);
});
Deno.bench("usernameCandidate() 1,000 ASCII names needing repair", { group: "tier" }, () => {
  run(asciiRepair);
});
Deno.bench("usernameCandidate() 1,000 Unicode names (derived)", { group: "tier" }, () => {
  run(unicode);
});
Deno.bench("usernameCandidate() 10,000 mixed names (80% exact)", { group: "mix" }, () => {
  run(mixed);
});
Deno.bench("usernameCandidate() 10,000 mixed names with protected names", { group: "mix" }, () => {
  run(mixed, { protectedNames: brands });
});
