/**
 * An Aho–Corasick automaton over `a-z 0-9`: one pass over a name finds every key that occurs in
 * it, whatever the number of keys. Transitions are stored sparsely (a few hundred kilobytes for
 * ten thousand keys); the root has a full row, since most steps of an ordinary name go there.
 *
 * @module
 */

/** The number of symbols: `a-z` then `0-9`. */
export const SYMBOLS = 36;

/** The symbol of an ASCII code (`a-z` → 0–25, `0-9` → 26–35), or -1 for any other code. */
export function symbolOf(code: number): number {
  if (code >= 97 && code <= 122) return code - 97;
  if (code >= 48 && code <= 57) return code - 22;
  return -1;
}

/** A built automaton: key `k` ends at a state `s` when `output[s] === k`. */
export interface Automaton {
  /** Per state, its first edge in `labels`/`targets`; edges of a state are contiguous. */
  readonly edgeStart: Int32Array;
  /** Per state, its number of edges. */
  readonly edgeCount: Uint8Array;
  /** Edge symbols. */
  readonly labels: Uint8Array;
  /** Edge target states. */
  readonly targets: Int32Array;
  /** Per state, the longest proper suffix that is a state. */
  readonly fail: Int32Array;
  /** The root's full row of transitions. */
  readonly rootRow: Int32Array;
  /** Per state, the key ending there, or -1. */
  readonly output: Int32Array;
  /** Per state, the nearest state on its suffix chain with an output, or 0. */
  readonly outputLink: Int32Array;
}

/**
 * Builds the automaton of `keys` (each of `a-z 0-9`); a key's index is its output id. The trie's
 * edges go in one map keyed by `state * SYMBOLS + symbol`, not a map per state: a worker thread
 * with a small heap builds it without a burst of garbage.
 */
export function buildAutomaton(keys: readonly string[]): Automaton {
  const trie = new Map<number, number>();
  const outputs: number[] = [-1];
  keys.forEach((key, id) => {
    let state = 0;
    for (let i = 0; i < key.length; i++) {
      const symbol = symbolOf(key.charCodeAt(i));
      if (symbol < 0) throw new RangeError(`Cannot build automaton: key "${key}" has a bad code`);
      const edgeKey = state * SYMBOLS + symbol;
      let next = trie.get(edgeKey);
      if (next === undefined) {
        next = outputs.length;
        outputs.push(-1);
        trie.set(edgeKey, next);
      }
      state = next;
    }
    if (outputs[state] === -1) outputs[state] = id;
  });
  const states = outputs.length;
  const edgeStart = new Int32Array(states);
  const edgeCount = new Uint8Array(states);
  const labels = new Uint8Array(trie.size);
  const targets = new Int32Array(trie.size);
  // Sorted by key, the edges of a state are contiguous and in symbol order.
  const edgeKeys = Float64Array.from(trie.keys()).sort();
  for (const [edge, edgeKey] of edgeKeys.entries()) {
    const state = Math.floor(edgeKey / SYMBOLS);
    if (edgeCount[state] === 0) edgeStart[state] = edge;
    edgeCount[state]!++;
    labels[edge] = edgeKey % SYMBOLS;
    targets[edge] = trie.get(edgeKey)!;
  }
  const rootRow = new Int32Array(SYMBOLS);
  for (let e = edgeStart[0]!; e < edgeStart[0]! + edgeCount[0]!; e++) {
    rootRow[labels[e]!] = targets[e]!;
  }
  const fail = new Int32Array(states);
  const output = Int32Array.from(outputs);
  const outputLink = new Int32Array(states);
  const automaton = { edgeStart, edgeCount, labels, targets, fail, rootRow, output, outputLink };
  // Breadth first, so that a state's suffix is finished before the state.
  const queue = new Int32Array(states);
  let tail = 0;
  for (let e = edgeStart[0]!; e < edgeStart[0]! + edgeCount[0]!; e++) queue[tail++] = targets[e]!;
  for (let head = 0; head < tail; head++) {
    const state = queue[head]!;
    for (let e = edgeStart[state]!; e < edgeStart[state]! + edgeCount[state]!; e++) {
      const child = targets[e]!;
      const suffix = step(automaton, fail[state]!, labels[e]!);
      fail[child] = suffix;
      outputLink[child] = output[suffix]! >= 0 ? suffix : outputLink[suffix]!;
      queue[tail++] = child;
    }
  }
  return automaton;
}

/** The state after reading `symbol` in `state` (-1 for a symbol outside the alphabet: the root). */
export function step(automaton: Automaton, state: number, symbol: number): number {
  if (symbol < 0) return 0;
  const { edgeStart, edgeCount, labels, targets, fail, rootRow } = automaton;
  for (;;) {
    if (state === 0) return rootRow[symbol]!;
    const start = edgeStart[state]!;
    const end = start + edgeCount[state]!;
    for (let e = start; e < end; e++) {
      if (labels[e] === symbol) return targets[e]!;
    }
    state = fail[state]!;
  }
}
