/**
 * The burst's remaining lever, measured before it is built into the daemon: the one large legacy
 * transaction streamed while it is decoded (pgoutput protocol 2, `streaming = on`: the walsender
 * neither spills it to disk nor reads it back), its changes spooled as they arrive into an
 * unlogged table on the identity server, and applied when its commit arrives, in the daemon's
 * rounds (each round's shares committed before the next) by one statement per share that joins
 * the spool to the accounts. The daemon instead applies each batch with its values sent as arrays,
 * and gets the first change only once the walsender has decoded and spilled the whole transaction.
 *
 * What it leaves out, which the daemon would need: aborts and subtransaction aborts of a streamed
 * transaction (the burst has none: one is refused here), changes the mirror does not take (an
 * insert, a rename, a delete; the burst has none, and the accounts are checked afterwards against
 * the daemon's), and what a crash between the shares and the checkpoint leaves.
 */
import { Buffer } from "node:buffer";
import { LogicalReplicationService } from "pg-logical-replication";
import { escapeReportValue } from "../src/apply/report_value.ts";
import { copyRows } from "../src/db/copy_rows.ts";
import { formatLsn, parseLsn } from "../src/db/lsn.ts";
import type pg from "../src/db/pg.ts";
import { type DecoderOptions, PgoutputDecoder } from "../src/replication/decode_pgoutput.ts";
import {
  type DecodedMessage,
  RawTextPgoutputPlugin,
} from "../src/replication/raw_text_pgoutput.ts";
import { connect } from "./bench_servers.ts";
import { PROJECT_PUBLICATION } from "./project_task.ts";

/** The lever's slot on the legacy server. */
export const SPOOLED_SLOT = "bench_spooled";
/** The accounts the lever applies to: a copy of the snapshot's, so the daemon still has its own. */
export const SPOOLED_ACCOUNTS = "identity.bench_spooled_accounts";
const SPOOL = "identity.bench_spool";
/** Spooled changes a COPY carries. */
const COPY_ROWS = 5_000;
/** Spool pages a share round covers: about 4,300 changes. */
const ROUND_PAGES = 40;
const ROUNDS = 3;

/** The legacy table as the daemon maps it, for decoding. */
const TABLE: DecoderOptions["table"] = {
  name: "public.users",
  schema: "public",
  table: "users",
  integerKey: true,
  createdAtZone: null,
};
const COLUMNS = {
  id: "id",
  username: "username",
  createdAt: "created_at",
  displayName: "display_name",
};

/**
 * Copies the snapshot's accounts (their rows in the same order, as unvacuumed as the snapshot's)
 * and creates the spool and the slot; the slot streams what is committed from now on.
 */
export async function prepareSpooled(
  identity: pg.ClientBase,
  legacy: pg.ClientBase,
): Promise<void> {
  await identity.query(
    `create table ${SPOOLED_ACCOUNTS} (like identity.accounts including all)
     with (fillfactor = 70)`,
  );
  await identity.query(
    `insert into ${SPOOLED_ACCOUNTS} overriding system value select * from identity.accounts`,
  );
  await identity.query(`analyze ${SPOOLED_ACCOUNTS}`);
  await identity.query(
    `create unlogged table ${SPOOL} (seq int, legacy_id text collate "C", display_name text,
       legacy_username text)`,
  );
  await legacy.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [SPOOLED_SLOT]);
}

/** Drops the lever's slot. */
export async function dropSpooledSlot(legacy: pg.ClientBase): Promise<void> {
  await legacy.query("select pg_drop_replication_slot($1)", [SPOOLED_SLOT]);
}

/** What the lever did. */
export interface SpooledRun {
  changes: number;
  /** From the start to the commit of the spooled transaction, its last COPY done. */
  streamSeconds: number;
  /** When the first change arrived. */
  firstChangeSeconds: number;
}

/** A share: one round's accounts of one partition, among a range of spool pages. */
const SHARE = `update ${SPOOLED_ACCOUNTS} as a
  set display_name = s.display_name, source_lsn = $3::pg_lsn, updated_at = now()
  from ${SPOOL} s
  where s.ctid >= $1::tid and s.ctid < $2::tid and s.seq % ${ROUNDS} = $4
    and s.legacy_id::bigint % 2 = $5
    and a.legacy_id = s.legacy_id and a.status = 'active'
    and (a.source_lsn is null or a.source_lsn < $3::pg_lsn)
    and a.legacy_username is not distinct from s.legacy_username
    and a.display_name is distinct from s.display_name`;

/**
 * Streams the lever's slot until the first transaction with `changes` changes commits, spooling
 * them, then applies them in rounds on two connections of `identityUrl`.
 */
export async function spooledApply(
  legacyUrl: string,
  identityUrl: string,
  identity: pg.ClientBase,
  changes: number,
): Promise<SpooledRun> {
  const started = performance.now();
  const spooled = await spool(legacyUrl, identity, changes);
  const streamSeconds = (performance.now() - started) / 1_000;
  const partitions = await Promise.all([connect(identityUrl), connect(identityUrl)]);
  try {
    for (const partition of partitions) await partition.query("set synchronous_commit = off");
    const { rows } = await identity.query<{ pages: string }>(
      `select pg_relation_size('${SPOOL}') / 8192 as pages`,
    );
    const pages = Number(rows[0]!.pages);
    for (let page = 0; page < pages; page += ROUND_PAGES) {
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(partitions.map((partition, part) =>
          partition.query(SHARE, [
            `(${page},0)`,
            `(${page + ROUND_PAGES},0)`,
            spooled.commitLsn,
            round,
            part,
          ])
        ));
      }
    }
    // The daemon's batch commits synchronously after its shares: their WAL is flushed too.
    await partitions[0]!.query("set synchronous_commit = on");
    await partitions[0]!.query("select txid_current()");
  } finally {
    await Promise.all(partitions.map((partition) => partition.end()));
  }
  return { changes: spooled.changes, streamSeconds, firstChangeSeconds: spooled.firstChange };
}

/** Streams and spools until a transaction of `changes` changes commits. */
async function spool(
  legacyUrl: string,
  identity: pg.ClientBase,
  changes: number,
): Promise<{ changes: number; commitLsn: string; firstChange: number }> {
  const started = performance.now();
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });
  const plugin = new StreamingPlugin();
  const service = new LogicalReplicationService({ connectionString: legacyUrl }, {
    acknowledge: { auto: false, timeoutSeconds: 0 },
    flowControl: { enabled: true },
  });
  let lines: (string | number | null)[][] = [];
  let seq = 0;
  let firstChange = 0;
  let copying: Promise<void> = Promise.resolve();
  const copy = async () => {
    const batch = lines;
    lines = [];
    await copying;
    copying = copyRows(
      identity,
      `${SPOOL} (seq, legacy_id, display_name, legacy_username)`,
      batch,
    );
  };
  const done = Promise.withResolvers<{ changes: number; commitLsn: string }>();
  service.on("data", async (_lsn: string, message: StreamMessage) => {
    try {
      if (message.tag === "stream-abort") {
        throw new Error("Cannot spool an aborted streamed transaction: the burst has none");
      }
      if (message.tag === "stream-start") {
        // The decoder wants a transaction around the changes; their LSN is the commit's, later.
        decoder.decode({ tag: "begin", commitLsn: "0/0", commitTime: 0n, xid: message.xid });
        return;
      }
      if (message.tag === "stream-commit" || message.tag === "commit") {
        const commitLsn = message.commitLsn!;
        decoder.decode(
          message.tag === "commit"
            ? message
            : { tag: "commit", flags: 0, commitLsn, commitEndLsn: message.endLsn, commitTime: 0n },
        );
        if (seq < changes) return;
        await copy();
        await copying;
        done.resolve({ changes: seq, commitLsn: formatLsn(parseLsn(commitLsn)) });
        return;
      }
      if (message.tag === "stream-stop") return;
      if (message.tag === "undecodable") throw message.error;
      for (const event of decoder.decode(message)) {
        if (event.type !== "change" || event.change.kind !== "upsert") continue;
        if (seq === 0) firstChange = (performance.now() - started) / 1_000;
        const change = event.change;
        lines.push([
          seq++,
          change.legacyId,
          change.displayName ?? null,
          escapeReportValue(change.username),
        ]);
        if (lines.length >= COPY_ROWS) await copy();
      }
    } catch (error) {
      done.reject(error);
    }
  });
  service.on("heartbeat", (lsn: string, _time: number, reply: boolean) => {
    if (reply) service.acknowledge(lsn).catch(() => {});
  });
  service.on("error", (error: unknown) => done.reject(error));
  service.subscribe(plugin as unknown as RawTextPgoutputPlugin, SPOOLED_SLOT).catch(() => {});
  try {
    const result = await done.promise;
    return { ...result, firstChange };
  } finally {
    await service.stop().catch(() => {});
  }
}

/** Protocol 2's streaming messages, and the others as the daemon's plugin decodes them. */
type StreamMessage =
  | DecodedMessage
  | { tag: "stream-start"; xid: number }
  | { tag: "stream-stop" }
  | { tag: "stream-commit"; xid: number; commitLsn: string; endLsn: string }
  | { tag: "stream-abort"; xid: number };

/**
 * The daemon's plugin asked for protocol 2 with in-progress transactions streamed. Inside a
 * stream block every change and relation message carries its transaction's ID after its tag,
 * which is taken out before the library's parser reads it.
 */
class StreamingPlugin {
  readonly #plugin = new RawTextPgoutputPlugin({
    protoVersion: 2,
    publicationNames: [PROJECT_PUBLICATION],
    messages: true,
  });
  #inStream = false;

  get name(): string {
    return this.#plugin.name;
  }

  start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    return client.query(
      `START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (proto_version '2', streaming 'on', publication_names '${PROJECT_PUBLICATION}', messages 'true')`,
    );
  }

  parse(buffer: Buffer): StreamMessage {
    const tag = String.fromCharCode(buffer[0]!);
    switch (tag) {
      case "S":
        this.#inStream = true;
        return { tag: "stream-start", xid: buffer.readUInt32BE(1) };
      case "E":
        this.#inStream = false;
        return { tag: "stream-stop" };
      case "c":
        // xid, flags, the commit LSN, the end LSN, the commit time.
        return {
          tag: "stream-commit",
          xid: buffer.readUInt32BE(1),
          commitLsn: lsnAt(buffer, 6),
          endLsn: lsnAt(buffer, 14),
        };
      case "A":
        return { tag: "stream-abort", xid: buffer.readUInt32BE(1) };
    }
    if (!this.#inStream) return this.#plugin.parse(buffer);
    return this.#plugin.parse(Buffer.concat([buffer.subarray(0, 1), buffer.subarray(5)]));
  }
}

/** The LSN written at `offset` of `buffer`, as text. */
function lsnAt(buffer: Buffer, offset: number): string {
  return `${buffer.readUInt32BE(offset).toString(16)}/${
    buffer.readUInt32BE(offset + 4).toString(16)
  }`;
}
