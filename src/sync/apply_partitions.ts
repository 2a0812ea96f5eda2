/**
 * Parallel apply: the extra identity connections that mirror the shares of a large batch in place
 * (see `mirrorInPlace`), each share in a transaction of its own, committed at once. The daemon's
 * own transaction holds the apply lock and, from before the shares run, its checkpoint's row (so
 * a daemon that lost the slot stops before writing anything), and takes no share itself. A crash
 * after a share committed leaves applied rows that the checkpoint does not cover: the batch comes
 * again and the LSN guard skips them.
 */
import pg from "../db/pg.ts";
import { markStreaming } from "./claim_slot.ts";

/** The extra apply connections of one streaming session. */
export class ApplyPartitions {
  readonly #clients: pg.Client[];
  readonly #pids: number[];

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

  /** The connections, outside any transaction between batches. */
  get clients(): readonly pg.Client[] {
    return this.#clients;
  }

  /** Closes every connection. */
  async end(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.end().catch(() => {})));
  }
}
