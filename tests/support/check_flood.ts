/**
 * A process that floods an account API with anonymous name checks on an open-loop schedule:
 * `deno run -A check_flood.ts '<FloodPlan as JSON>'` prints a {@linkcode FloodResult} as JSON.
 * The test runs it niced, as a stand-in for clients on other machines: on a small machine it
 * should not take the CPU the server under test needs. It speaks HTTP/1.1 on raw keep-alive
 * connections, one request at a time on each: a fraction of what `fetch` costs per request.
 */

/** What the flood asks for. */
export interface FloodPlan {
  port: number;
  perSecond: number;
  seconds: number;
  /** Checks in flight at most; past it, due checks are counted as not sent. */
  maxOutstanding: number;
}

/** What came back. */
export interface FloodResult {
  statuses: Record<number, number>;
  shedWithoutRetryAfter: number;
  notSent: number;
  clientErrors: number;
  seconds: number;
  /** User + system CPU seconds the generator used. */
  cpuSeconds: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One GET on a kept-alive connection: the status and whether `Retry-After` came with it. */
async function get(
  connection: Deno.TcpConn,
  buffer: Uint8Array,
  path: string,
): Promise<{ status: number; retryAfter: boolean }> {
  await connection.write(encoder.encode(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`));
  let text = "";
  while (true) {
    const read = await connection.read(buffer);
    if (read === null) throw new Error("the server closed the connection");
    // The API answers ASCII JSON with a content-length: characters are bytes.
    text += decoder.decode(buffer.subarray(0, read));
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) continue;
    const head = text.slice(0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? "0");
    if (text.length - end - 4 < length) continue;
    return {
      status: Number(head.slice(9, 12)),
      retryAfter: /\r\nretry-after:/i.test(head),
    };
  }
}

async function flood(plan: FloodPlan): Promise<FloodResult> {
  const statuses: Record<number, number> = {};
  let shedWithoutRetryAfter = 0;
  let notSent = 0;
  let clientErrors = 0;
  let open = 0;
  const idle: Deno.TcpConn[] = [];
  const all: Deno.TcpConn[] = [];
  const inFlight = new Set<Promise<void>>();
  const buffers = new Map<Deno.TcpConn, Uint8Array>();
  const check = async (i: number, connection: Deno.TcpConn) => {
    try {
      const answer = await get(
        connection,
        buffers.get(connection)!,
        `/v1/usernames/flood_${i % 5_000}_name`,
      );
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status === 503 && !answer.retryAfter) shedWithoutRetryAfter++;
      idle.push(connection);
    } catch {
      clientErrors++;
      open--;
      connection.close();
    }
  };
  const connect = async () => {
    const connection = await Deno.connect({ hostname: "127.0.0.1", port: plan.port });
    buffers.set(connection, new Uint8Array(16_384));
    all.push(connection);
    return connection;
  };
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < plan.seconds * 1_000) {
    const due = Math.floor((performance.now() - started) / 1_000 * plan.perSecond);
    for (; sent < due; sent++) {
      let connection = idle.pop();
      if (connection === undefined) {
        if (open >= plan.maxOutstanding) {
          notSent++;
          continue;
        }
        open++;
        connection = await connect();
      }
      const request = check(sent, connection);
      inFlight.add(request);
      request.finally(() => inFlight.delete(request));
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const seconds = (performance.now() - started) / 1_000;
  await Promise.all(inFlight);
  for (const connection of idle) connection.close();
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / 100;
  return { statuses, shedWithoutRetryAfter, notSent, clientErrors, seconds, cpuSeconds };
}

if (import.meta.main) {
  console.log(JSON.stringify(await flood(JSON.parse(Deno.args[0]!))));
}
