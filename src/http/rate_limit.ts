/**
 * A token bucket per client, in memory: each client may make `burst` requests at once, then
 * `ratePerSecond` on average. The map of clients is bounded: when it is full, the client seen
 * least recently is forgotten (its next request starts with a full bucket again).
 */

/** Options of {@linkcode TokenBuckets}. */
export interface TokenBucketOptions {
  /** Tokens added per second (may be fractional: 0.5 is one every two seconds). */
  ratePerSecond: number;
  /** Tokens a bucket holds at most: requests allowed at once. */
  burst: number;
  /** Clients remembered at most. */
  maxClients?: number;
  /** The clock, in milliseconds. */
  now?: () => number;
}

/** What taking a token gave: allowed, or how many seconds until the next token. */
export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in milliseconds. */
  at: number;
}

/** Token buckets keyed by client. */
export class TokenBuckets {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError(
        `Cannot limit requests: rate ${options.ratePerSecond}/s and burst ${options.burst} must be positive`,
      );
    }
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** How many clients are remembered now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes a token from `client`'s bucket if it has one. */
  take(client: string): TakeResult {
    const now = this.#now();
    let bucket = this.#buckets.get(client);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now };
      if (this.#buckets.size >= this.#maxClients) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
    } else {
      const elapsed = Math.max(0, now - bucket.at) / 1_000;
      bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsed * this.#rate);
      bucket.at = now;
      // Map keeps insertion order: moving the client to the end keeps the least recent first.
      this.#buckets.delete(client);
    }
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.#rate) };
  }
}
