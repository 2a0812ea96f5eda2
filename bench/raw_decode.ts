/**
 * The decode ceiling of the stream: a slot read by `pg-logical-replication` with the daemon's own
 * decoding (`RawTextPgoutputPlugin`, the daemon's plugin options and publication: protocol 2, a
 * large transaction streamed while in progress), every message decoded and dropped.
 */
import { LogicalReplicationService } from "pg-logical-replication";
import {
  type DecodedMessage,
  RawTextPgoutputPlugin,
} from "../src/replication/raw_text_pgoutput.ts";
import { withClient } from "../src/db/sessions.ts";
import { PROJECT_PUBLICATION } from "./project_task.ts";

/** The raw decoder's slot on the legacy server. */
export const RAW_SLOT = "bench_raw";

/** Creates the raw decoder's slot: it streams what is committed from now on. */
export async function createRawSlot(legacyUrl: string): Promise<void> {
  await withClient(
    legacyUrl,
    (client) =>
      client.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [RAW_SLOT]),
  );
}

/** Drops the raw decoder's slot. */
export async function dropRawSlot(legacyUrl: string): Promise<void> {
  await withClient(
    legacyUrl,
    (client) => client.query("select pg_drop_replication_slot($1)", [RAW_SLOT]),
  );
}

/**
 * Streams the raw slot until the transaction that sets the marker's display name to `marker`
 * commits; returns the changes (inserts, updates, deletes) decoded.
 */
export async function rawDecode(legacyUrl: string, marker: string): Promise<number> {
  const service = new LogicalReplicationService({ connectionString: legacyUrl }, {
    acknowledge: { auto: false, timeoutSeconds: 0 },
    flowControl: { enabled: true },
  });
  const plugin = new RawTextPgoutputPlugin({
    publicationNames: [PROJECT_PUBLICATION],
    messages: true,
    streaming: true,
  });
  let changes = 0;
  let markerSeen = false;
  const done = new Promise<void>((resolve, reject) => {
    service.on("data", (_lsn: string, message: DecodedMessage) => {
      if (message.tag === "insert" || message.tag === "update" || message.tag === "delete") {
        changes++;
        if (message.tag === "update" && message.new.display_name === marker) markerSeen = true;
      } else if (message.tag === "commit" && markerSeen) resolve();
      else if (message.tag === "undecodable") reject(message.error);
    });
    service.on("heartbeat", async (lsn: string, _time: number, reply: boolean) => {
      if (reply) await service.acknowledge(lsn);
    });
    service.on("error", reject);
  });
  service.subscribe(plugin, RAW_SLOT).catch(() => {});
  try {
    await done;
  } finally {
    await service.stop().catch(() => {});
  }
  return changes;
}
