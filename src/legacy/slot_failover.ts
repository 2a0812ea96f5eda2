/**
 * Keeping the slot over a failover of the legacy primary. From PostgreSQL 17 a logical slot made
 * with `failover = true` is copied to a physical standby that runs `sync_replication_slots`, and
 * the primary holds its logical walsenders back until the standbys named in
 * `synchronized_standby_slots` have the WAL they send: once promoted, the standby has the slot,
 * at or before every change this daemon applied. Older servers lose the slot in a failover.
 */
import pg from "../db/pg.ts";

/** The first PostgreSQL (`server_version_num`) whose slots can be kept over a failover. */
export const FAILOVER_SLOTS_SINCE = 170000;

/** `server_version_num` of the server `client` is connected to (a replication connection too). */
export async function serverVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ server_version_num: string }>("SHOW server_version_num");
  return Number(rows[0]!.server_version_num);
}

/** Turns the slot's `failover` property on or off (PostgreSQL 17+; the slot must be idle). */
export async function setSlotFailover(url: string, slotName: string, on: boolean): Promise<void> {
  const client = new pg.Client(
    { connectionString: url, replication: "database" } as pg.ClientConfig,
  );
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(`ALTER_REPLICATION_SLOT "${slotName}" ( FAILOVER ${on} )`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** What the primary shows of the slot's readiness for a failover. */
export interface FailoverFacts {
  /** The slot's `failover` property. */
  failover: boolean;
  /** The primary's `synchronized_standby_slots`, as set. */
  synchronizedStandbySlots: string;
  /** The physical slots of this server, and whether a standby streams from each now. */
  physicalSlots: ReadonlyMap<string, boolean>;
}

/** Whether a failover now would keep the slot, and if not, why. */
export type FailoverReadiness = { ready: true } | { ready: false; reason: string };

/**
 * Judges from the primary alone whether its standbys keep the slot: the slot is a failover one,
 * and the primary waits for at least one standby, each of those it waits for streaming now.
 * Whether a standby has in fact synchronized the slot only the standby shows (runbook).
 */
export function judgeFailoverReadiness(facts: FailoverFacts): FailoverReadiness {
  if (!facts.failover) return { ready: false, reason: "the slot has failover = false" };
  const standbys = parseSlotList(facts.synchronizedStandbySlots);
  if (standbys.length === 0) {
    return {
      ready: false,
      reason: "synchronized_standby_slots is empty: a standby may lack changes this daemon applied",
    };
  }
  for (const name of standbys) {
    const active = facts.physicalSlots.get(name);
    if (active === undefined) {
      return { ready: false, reason: `synchronized_standby_slots names ${name}, no physical slot` };
    }
    if (!active) return { ready: false, reason: `no standby streams from physical slot ${name}` };
  }
  return { ready: true };
}

/** The names in a slot list setting (`a, "b"`). */
export function parseSlotList(value: string): string[] {
  return value.split(",").map((name) => name.trim().replace(/^"(.*)"$/, "$1")).filter((name) =>
    name !== ""
  );
}
