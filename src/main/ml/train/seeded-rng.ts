// A seeded generator whose state can be saved in a checkpoint and restored,
// so a resumed training run draws the same batches it would have drawn.
export class SeededRng {
  private s: number
  constructor(seedOrState: number) {
    this.s = seedOrState >>> 0
  }
  /** mulberry32 step: uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = a[i]
      a[i] = a[j]
      a[j] = t
    }
    return a
  }
  get state(): number {
    return this.s
  }
}
