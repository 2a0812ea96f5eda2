/**
 * A peer gone silent: connections are accepted and stay open, but nothing comes back, and no
 * reset either (a partition, a dropped route, a connection a firewall or a failover left
 * half-open).
 */

/** A TCP proxy to a server whose connections can go silent, or a listener that never answers. */
export interface SilentPeer extends AsyncDisposable {
  /** A URL of the peer, with the target's user, password and database when there is a target. */
  readonly url: string;
  /** Connections accepted so far. */
  accepted(): number;
  /**
   * From now on nothing goes through the connections open so far, either way, and none of them
   * is closed; connections made later go through (a half-open connection, not a dead server).
   */
  silence(): void;
}

/**
 * Listens on a free local port. With `targetUrl`, forwards each connection to that server until
 * silenced; without, every connection is silent from the start (accepted, never answered).
 */
export function silentPeer(targetUrl?: string): SilentPeer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const pumps: Promise<void>[] = [];
  /** Each connection's switch: silent from the start without a target. */
  const switches: { silent: boolean }[] = [];
  const target = targetUrl === undefined ? undefined : new URL(targetUrl);
  const close = (conn: Deno.Conn) => {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  };
  /**
   * Copies `from` to `to` until silenced; from then on reads and drops. One side's end ends the
   * other while not silenced; a silent connection is never closed.
   */
  const pump = async (from: Deno.Conn, to: Deno.Conn, state: { silent: boolean }) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) {
          if (!state.silent && from !== to) {
            close(to);
            close(from);
          }
          break;
        }
        // A write may take part of what it is given: the rest goes in further writes.
        for (let sent = 0; !state.silent && sent < n;) {
          sent += await to.write(buffer.subarray(sent, n));
        }
      }
    } catch {
      // Reset, or closed by the other pump or the peer's disposal.
      if (!state.silent && from !== to) {
        close(to);
        close(from);
      }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const state = { silent: target === undefined };
      switches.push(state);
      if (!target) {
        pumps.push(pump(conn, conn, state));
        continue;
      }
      const upstream = await Deno.connect({
        hostname: target.hostname,
        port: Number(target.port || 5432),
      });
      conns.push(upstream);
      pumps.push(pump(conn, upstream, state), pump(upstream, conn, state));
    }
  })().catch(() => {});
  const url = new URL(targetUrl ?? "postgres://silent:silent@127.0.0.1/silent");
  url.hostname = "127.0.0.1";
  url.port = `${(listener.addr as Deno.NetAddr).port}`;
  return {
    url: url.href,
    accepted: () => switches.length,
    silence: () => {
      for (const state of switches) state.silent = true;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of conns) close(conn);
      await Promise.all(pumps);
    },
  };
}
