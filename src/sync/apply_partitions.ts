/**
 * Parallel apply: the extra identity connections that mirror a share of a large batch in place
 * (see `mirrorInPlace`). Each batch opens a transaction on every one under the daemon's apply lock.
 * They commit once the daemon's own transaction has stored the checkpoint (so a daemon that lost
 * the slot commits nothing on them) and before it commits, so a crash between the two leaves
 * applied rows that the checkpoint does not cover: the batch comes again and the LSN guard skips
 * them. The slot is acknowledged only after the last commit.
 */
import { lookUpByKey } from "../apply/apply_changes.ts";
import pg from "../db/pg.ts";
import { markStreaming } from "./claim_slot.ts";

/** The extra apply connections of one streaming session. */
export class ApplyPartitions {
  readonly #clients: pg.Client[];
  readonly #pids: number[];
  #open = false;

  private constructor(clients: pg.Client[], pids: number[]) {
    this.#clients = clients;
    this.#pids = pids;
  }

  /** Connects `count` sessions to `url` (none when `count` is 0). */
  static async connect(url: string, count: number): Promise<ApplyPartitions> {
    const clients: pg.Client[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const client = new pg.Client({ connectionString: url });
        client.on("error", () => {});
        clients.push(client);
        await client.connect();
      }
      const pids = await Promise.all(clients.map(async (client) => {
        const { rows: [{ pid }] } = await client.query("select pg_backend_pid() as pid");
        return pid as number;
      }));
      return new ApplyPartitions(clients, pids);
    } catch (error) {
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
      throw error;
    }
  }

  /** Their backends, for a stop that cancels what runs on them. */
  get pids(): readonly number[] {
    return this.#pids;
  }

  /** Marks each as streaming `slotName`: the daemon that claims the slot next ends them too. */
  async mark(slotName: string): Promise<void> {
    await Promise.all(this.#clients.map((client) => markStreaming(client, slotName)));
  }

  /** Opens a transaction on each, planned by key like the daemon's own; returns them. */
  async begin(): Promise<readonly pg.Client[]> {
    this.#open = true;
    await Promise.all(this.#clients.map(async (client) => {
      await client.query("begin");
      await lookUpByKey(client);
    }));
    return this.#clients;
  }

  /** Commits what {@linkcode begin} opened. */
  async commit(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await Promise.all(this.#clients.map((client) => client.query("commit")));
  }

  /** Rolls back what {@linkcode begin} opened, if anything; never throws. */
  async rollback(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await Promise.all(this.#clients.map((client) => client.query("rollback").catch(() => {})));
  }

  /** Closes every connection. */
  async end(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.end().catch(() => {})));
  }
}
