/**
 * How many requests the account API works on at once, and who goes first when it is full:
 * writes and authenticated requests wait a moment for room (first come, first served among
 * them), anonymous reads never wait and have a share of their own, so a flood of anonymous
 * checks is refused quickly (503) while sign-ups keep their room. Room is not the only thing
 * reads and writes share: while a write is in flight, anonymous reads get a quarter of their
 * share (at least one), so the CPU and the database a write needs are not taken by reads.
 */

/** Who is asking: `priority` waits for room, `anonymous` is refused at once when there is none. */
export type AdmissionClass = "priority" | "anonymous";

/** Options of {@linkcode Admission}. */
export interface AdmissionOptions {
  /** Requests worked on at once, at most. */
  maxInFlight: number;
  /** Anonymous requests worked on at once, at most; less than `maxInFlight`. */
  anonymousInFlight: number;
  /** Milliseconds a priority request waits for room before it is refused. */
  maxWaitMs: number;
}

interface Waiter {
  admit: (release: () => void) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A counting gate with a reserved share for priority requests and a bounded wait queue. */
export class Admission {
  readonly #options: AdmissionOptions;
  #inFlight = 0;
  #anonymous = 0;
  readonly #queue: Waiter[] = [];

  constructor(options: AdmissionOptions) {
    if (!(options.anonymousInFlight >= 1 && options.anonymousInFlight < options.maxInFlight)) {
      throw new RangeError(
        `Cannot admit requests: ${options.anonymousInFlight} anonymous of ${options.maxInFlight} must be at least 1 and fewer than all`,
      );
    }
    this.#options = options;
  }

  /** Requests being worked on now, and priority requests waiting. */
  get load(): { inFlight: number; anonymous: number; waiting: number } {
    return { inFlight: this.#inFlight, anonymous: this.#anonymous, waiting: this.#queue.length };
  }

  /** Whether a request of `kind` would be let in now (a cheap look before any work). */
  hasRoom(kind: AdmissionClass): boolean {
    const { maxInFlight } = this.#options;
    if (kind === "anonymous") {
      return this.#anonymous < this.#anonymousShare() && this.#inFlight < maxInFlight;
    }
    return this.#inFlight < maxInFlight || this.#queue.length < maxInFlight;
  }

  /**
   * Room for one request: resolves to the function that gives it back, or to undefined when the
   * request is refused (no room for an anonymous one, or no room within the wait).
   */
  enter(kind: AdmissionClass): Promise<(() => void) | undefined> {
    const { maxInFlight, maxWaitMs } = this.#options;
    if (kind === "anonymous") {
      if (this.#anonymous >= this.#anonymousShare() || this.#inFlight >= maxInFlight) {
        return Promise.resolve(undefined);
      }
      this.#anonymous++;
      return Promise.resolve(this.#take(kind));
    }
    if (this.#inFlight < maxInFlight && this.#queue.length === 0) {
      return Promise.resolve(this.#take(kind));
    }
    if (this.#queue.length >= maxInFlight) return Promise.resolve(undefined);
    const { promise, resolve } = Promise.withResolvers<(() => void) | undefined>();
    const waiter: Waiter = {
      admit: resolve,
      timer: setTimeout(() => {
        this.#queue.splice(this.#queue.indexOf(waiter), 1);
        resolve(undefined);
      }, maxWaitMs),
    };
    this.#queue.push(waiter);
    return promise;
  }

  /** Anonymous reads allowed at once now: a quarter of their share while a write is in flight. */
  #anonymousShare(): number {
    const share = this.#options.anonymousInFlight;
    return this.#inFlight > this.#anonymous ? Math.max(1, Math.floor(share / 4)) : share;
  }

  #take(kind: AdmissionClass): () => void {
    this.#inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      if (kind === "anonymous") this.#anonymous--;
      const next = this.#queue.shift();
      if (next) {
        clearTimeout(next.timer);
        next.admit(this.#take("priority"));
      }
    };
  }
}
