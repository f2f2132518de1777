// Seeded randomness for everything that must be reproducible from a stored seed:
// cross-validation folds, blind-session order, sampling, the batches of a
// training run (whose generator state is saved in its checkpoint, so a resumed
// run draws what it would have drawn). Math.random is never used for these,
// because a run or a session must be re-creatable exactly.

/** A source of uniform numbers in [0, 1). */
export type Random = () => number

/**
 * mulberry32: a small 32-bit generator with a full 2^32 period. Not
 * cryptographic; chosen because it is tiny, fast, and gives the same sequence
 * on every JavaScript engine (integer ops only). Its whole state is one
 * 32-bit number, which a checkpoint keeps (`state`) and a resume passes back.
 */
export class SeededRng {
  private s: number
  constructor(seedOrState: number) {
    this.s = seedOrState >>> 0
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  /** Fisher-Yates shuffle of `items` in place (returned). */
  shuffle<T>(items: T[]): T[] {
    return shuffleInPlace(items, () => this.next())
  }
  get state(): number {
    return this.s
  }
}

/** The mulberry32 sequence of `seed` as a plain function. */
export function mulberry32(seed: number): Random {
  const rng = new SeededRng(seed)
  return () => rng.next()
}

/** Turns any text (a run name, a session id) into a 32-bit seed (FNV-1a). */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Uniform integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n)
}

/** Fisher-Yates shuffle into a new array; the input is left as it was. */
export function seededShuffle<T>(items: readonly T[], seed: number | Random): T[] {
  return shuffleInPlace(items.slice(), typeof seed === 'function' ? seed : mulberry32(seed))
}

function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1)
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
  return items
}
