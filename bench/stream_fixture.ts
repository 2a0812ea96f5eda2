/**
 * The fresh state of one run of the stream benchmark: N generated legacy users; the native copy
 * filled with the same rows and its subscription created disabled, without copy (its slot starts
 * here); the identity tables snapshotted by the daemon, which is then stopped (its slot stays).
 * Everything committed on the legacy server from here on is for both sides to apply.
 */
import type pg from "../src/db/pg.ts";
import { type BenchServers, connect } from "./bench_servers.ts";
import { startDaemon } from "./daemon_process.ts";
import { prepareLegacyUsers } from "./legacy_source.ts";
import { commitMarker, waitForMarker } from "./marker.ts";
import {
  createNativePublication,
  createNativeUsers,
  resetTargets,
  subscribe,
} from "./native_peer.ts";
import { createMixProcedure } from "./production_mix.ts";
import type { ProjectDatabases } from "./project_task.ts";

/** A run's servers and a session on each database. */
export interface StreamFixture extends AsyncDisposable {
  servers: BenchServers;
  databases: ProjectDatabases;
  legacy: pg.Client;
  native: pg.Client;
  identity: pg.Client;
}

/** Resets both servers and prepares a run on `rows` users. */
export async function prepareStreamRun(
  servers: BenchServers,
  rows: number,
): Promise<StreamFixture> {
  await resetTargets(servers);

  const legacy = await connect(servers.legacy.url);
  const native = await connect(servers.nativeUrl);
  const identity = await connect(servers.identityUrl);
  const databases = { legacyUrl: servers.legacy.url, identityUrl: servers.identityUrl };
  const fixture: StreamFixture = {
    servers,
    databases,
    legacy,
    native,
    identity,
    [Symbol.asyncDispose]: async () => {
      await Promise.all([legacy.end(), native.end(), identity.end()]);
    },
  };
  try {
    await prepareLegacyUsers(legacy, rows);
    await createMixProcedure(legacy);
    await createNativeUsers(native, { rows });
    await createNativePublication(legacy);
    await subscribe(native, servers.legacy.url, { copyData: false, enabled: false });
    const daemon = startDaemon(databases);
    try {
      const done = await commitMarker(legacy, "snapshot done");
      await waitForMarker(identity, "identity", done, { ended: daemon.exited });
    } finally {
      await daemon.stop();
    }
    // The load's vacuum and analyze done now, as the native copy's were when it was filled: left to
    // autovacuum, the insert vacuum of a million fresh accounts (seconds of CPU) fell inside
    // whichever side's window came next on the target server, in one 1M run the daemon's burst.
    await identity.query("vacuum (analyze)");
    return fixture;
  } catch (error) {
    await fixture[Symbol.asyncDispose]();
    throw error;
  }
}
