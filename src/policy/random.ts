/**
 * Sources of random bytes for the policy. The policy never reaches for randomness itself: callers
 * pass a `RandomSource`, the CSPRNG in production and a seeded one in tests and deterministic runs.
 *
 * @module
 */

/** A function that returns `bytes` fresh random bytes. */
export type RandomSource = (bytes: number) => Uint8Array;

/** Bytes drawn from the CSPRNG at a time: one call serves ~350 public IDs. */
const POOL_BYTES = 16_384;
let pool = new Uint8Array(0);
let used = 0;

/**
 * Random bytes from the platform CSPRNG (`crypto.getRandomValues`), drawn a
 * pool at a time: every byte is handed out once, never reused.
 */
export function cryptoRandom(bytes: number): Uint8Array {
  if (bytes > POOL_BYTES) return crypto.getRandomValues(new Uint8Array(bytes));
  if (used + bytes > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    used = 0;
  }
  used += bytes;
  return pool.subarray(used - bytes, used);
}

/** A deterministic, non-cryptographic source (mulberry32) for tests and reproducible runs. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  return (bytes) => {
    const out = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i += 4) {
      const word = next();
      for (let j = 0; j < 4 && i + j < bytes; j++) out[i + j] = (word >>> (j * 8)) & 0xff;
    }
    return out;
  };
}

/**
 * Wraps `random` so that it throws a `RangeError` once it has been called `limit` times. Rejection
 * sampling loops until it gets bytes it can use, so a broken source (one that always returns the
 * same bytes) would otherwise hang the caller forever.
 */
export function boundedRandom(random: RandomSource, limit: number): RandomSource {
  let calls = 0;
  return (bytes) => {
    if (++calls > limit) {
      throw new RangeError(
        `Cannot draw random bytes: ${limit} draws gave no acceptable value, is the source random?`,
      );
    }
    return random(bytes);
  };
}
