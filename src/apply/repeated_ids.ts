/**
 * The legacy ids one streamed transaction changes more than once, found as its changes are
 * spooled, so that the in-place mirror leaves every change of them to the plan (which applies
 * them in order) without a pass over the whole spool to count them. The ids seen so far are held
 * by a scalable Bloom filter: asked about an id it has seen, it always says so; about one it has
 * not, it says so wrongly now and then (5 times in 10,000 at 1,000,000 ids, 9 at 5,000,000). Such
 * an id is taken for repeated: it costs its one change a trip through the plan, never a change
 * applied out of order. The filter's memory grows with the ids, none of them kept: at most 5 bytes
 * an id (5 MB at 1,000,000), and none past {@linkcode MAX_IDS}.
 */

/** Repeated ids kept at most; beyond, {@linkcode RepeatedIds.ids} says there are too many. */
export const MAX_REPEATED_IDS = 100_000;

/**
 * Bits a layer sets aside for each id it may hold, and the probes: a full layer says "seen" wrongly
 * about twice in 10,000.
 */
const BITS_PER_ID = 20;
const PROBES = 7;
/** Ids the first layer holds; each next one holds twice as many. */
const FIRST_CAPACITY = 1 << 16;

/**
 * Ids noted at most: what the layers up to one of 8,388,608 ids hold (42 MB of filter). Beyond,
 * there are too many to tell and the filter is let go; the spool then counts them itself.
 */
export const MAX_IDS = (1 << 24) - FIRST_CAPACITY;

/** The legacy ids of one transaction's changes, and which of them may repeat. */
export class RepeatedIds {
  readonly #limits: { ids: number; repeated: number };
  /** The ids seen, and those seen again; null once there are too many to tell. */
  #state: Noted | null = {
    seen: new SeenIds(),
    noted: 0,
    repeated: new Set(),
  };

  /** `limits`: at most so many ids noted, and so many repeated (for tests; the defaults above). */
  constructor(limits: { ids: number; repeated: number } = {
    ids: MAX_IDS,
    repeated: MAX_REPEATED_IDS,
  }) {
    this.#limits = limits;
  }

  /**
   * Notes the legacy ids one change carries (its key `id`, and the key `previous` it replaces, if
   * any), and returns whether either may have been carried before (by an earlier change, or both
   * by this one). Once there are too many to tell, returns false: the spool counts them itself.
   */
  note(id: string, previous?: string): boolean {
    const state = this.#state;
    if (state === null) return false;
    // Both noted, whatever the first says.
    const repeatedId = noteIn(state, id);
    const repeated = (previous !== undefined && noteIn(state, previous)) || repeatedId;
    if (state.repeated.size > this.#limits.repeated || state.noted > this.#limits.ids) {
      this.#state = null;
    }
    return repeated;
  }

  /**
   * The ids noted more than once, with the few the filter took for seen wrongly; null: more than
   * {@linkcode MAX_REPEATED_IDS} of them, or more than {@linkcode MAX_IDS} noted (or the limits
   * given).
   */
  get ids(): readonly string[] | null {
    return this.#state === null ? null : [...this.#state.repeated];
  }
}

/** What {@linkcode RepeatedIds} keeps while it can tell. */
interface Noted {
  seen: SeenIds;
  noted: number;
  repeated: Set<string>;
}

/** Notes `key` in `state`; whether it may have been noted before. */
function noteIn(state: Noted, key: string): boolean {
  state.noted++;
  if (!state.seen.see(key)) return false;
  state.repeated.add(key);
  return true;
}

/** One fixed-size Bloom filter of `bits` bits. */
interface Layer {
  words: Uint32Array;
  bits: number;
  capacity: number;
  size: number;
}

/** The ids seen: a scalable Bloom filter, a layer twice as large added when the last is full. */
class SeenIds {
  readonly #layers: Layer[] = [];

  /** Notes `id` as seen, and returns whether it may have been seen before. */
  see(id: string): boolean {
    const h1 = hash(id, 0x811c9dc5);
    const h2 = (hash(id, 0x9747b28c) | 1) >>> 0;
    for (const layer of this.#layers) if (holds(layer, h1, h2)) return true;
    let last = this.#layers.at(-1);
    if (last === undefined || last.size >= last.capacity) {
      last = layer(last === undefined ? FIRST_CAPACITY : last.capacity * 2);
      this.#layers.push(last);
    }
    for (let probe = 0; probe < PROBES; probe++) {
      const bit = (h1 + probe * h2) % last.bits;
      last.words[bit >>> 5]! |= 1 << (bit & 31);
    }
    last.size++;
    return false;
  }
}

/** An empty layer for `capacity` ids. */
function layer(capacity: number): Layer {
  const bits = capacity * BITS_PER_ID;
  return { words: new Uint32Array(Math.ceil(bits / 32)), bits, capacity, size: 0 };
}

/** Whether every probe of the hashes `h1`, `h2` is set in `layer`. */
function holds(layer: Layer, h1: number, h2: number): boolean {
  for (let probe = 0; probe < PROBES; probe++) {
    const bit = (h1 + probe * h2) % layer.bits;
    if ((layer.words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
  }
  return true;
}

/** FNV-1a over the UTF-16 code units of `text` from `seed`, with a final mix of its bits. */
function hash(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
