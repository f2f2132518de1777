import { describe, it, expect } from 'vitest'
import { mulberry32, SeededRng, seededShuffle, seedFromString, stratifiedKFold } from '../../../src/main/stats'

describe('seeded randomness', () => {
  it('mulberry32 gives the published reference sequence for seed 0', () => {
    // First outputs of the reference C implementation of mulberry32 with seed 0,
    // as 32-bit integers (t ^ t >>> 14, before division by 2^32).
    const random = mulberry32(0)
    const ints = [random(), random(), random()].map((x) => Math.round(x * 4294967296))
    expect(ints).toEqual([1144304738, 1416247, 958946056])
  })

  it('is reproducible and sensitive to the seed', () => {
    const a = mulberry32(42)
    const b = mulberry32(42)
    const c = mulberry32(43)
    const sa = Array.from({ length: 5 }, a)
    expect(Array.from({ length: 5 }, b)).toEqual(sa)
    expect(Array.from({ length: 5 }, c)).not.toEqual(sa)
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true)
  })

  it('shuffle is a permutation, reproducible, and leaves its input alone', () => {
    const items = Array.from({ length: 50 }, (_, i) => i)
    const once = seededShuffle(items, 7)
    expect(seededShuffle(items, 7)).toEqual(once)
    expect([...once].sort((x, y) => x - y)).toEqual(items)
    expect(once).not.toEqual(items)
    expect(items[0]).toBe(0)
    expect(seededShuffle(items, 8)).not.toEqual(once)
  })

  it('shuffle is uniform: each of the 6 orders of 3 items about equally often', () => {
    const tally = new Map<string, number>()
    const random = mulberry32(1)
    for (let i = 0; i < 60_000; i++) {
      const key = seededShuffle(['a', 'b', 'c'], random).join('')
      tally.set(key, (tally.get(key) ?? 0) + 1)
    }
    expect(tally.size).toBe(6)
    for (const count of tally.values()) expect(Math.abs(count - 10_000)).toBeLessThan(400)
  })

  it('SeededRng draws the mulberry32 sequence and, restored from its saved state, goes on where it stopped', () => {
    const reference = mulberry32(42)
    const rng = new SeededRng(42)
    expect([rng.next(), rng.next(), rng.next()]).toEqual([reference(), reference(), reference()])
    const resumed = new SeededRng(rng.state)
    expect([resumed.next(), resumed.next()]).toEqual([rng.next(), rng.next()])
    // Its in-place shuffle draws as seededShuffle does from the same sequence.
    expect(new SeededRng(9).shuffle([1, 2, 3, 4, 5, 6])).toEqual(seededShuffle([1, 2, 3, 4, 5, 6], 9))
  })

  it('derives seeds from text (FNV-1a)', () => {
    // FNV-1a 32-bit of "a" is 0xe40c292c (published test vector).
    expect(seedFromString('a')).toBe(0xe40c292c)
    expect(seedFromString('')).toBe(0x811c9dc5)
  })
})

describe('stratified k-fold', () => {
  const labels = [
    ...Array(53).fill('neutrophil'),
    ...Array(21).fill('lymphocyte'),
    ...Array(7).fill('basophil'),
    ...Array(12).fill('eosinophil'),
    ...Array(30).fill('monocyte')
  ] as string[]

  it('spreads every class evenly and balances fold sizes', () => {
    const k = 10
    const folds = stratifiedKFold(labels, { k, seed: 3 })
    expect(folds).toHaveLength(labels.length)
    for (const label of new Set(labels)) {
      const perFold = Array(k).fill(0)
      labels.forEach((l, i) => {
        if (l === label) perFold[folds[i] as number]++
      })
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1)
    }
    const sizes = Array(k).fill(0)
    for (const f of folds) sizes[f]++
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
  })

  it('is deterministic per seed and different across seeds', () => {
    expect(stratifiedKFold(labels, { k: 5, seed: 9 })).toEqual(stratifiedKFold(labels, { k: 5, seed: 9 }))
    expect(stratifiedKFold(labels, { k: 5, seed: 9 })).not.toEqual(stratifiedKFold(labels, { k: 5, seed: 10 }))
  })

  it('with ids, does not depend on the order the items are listed in', () => {
    const ids = labels.map((_, i) => `img-${String(i).padStart(3, '0')}`)
    const folds = stratifiedKFold(labels, { k: 4, seed: 1, ids })
    const order = seededShuffle(labels.map((_, i) => i), 99)
    const shuffled = stratifiedKFold(order.map((i) => labels[i] as string), { k: 4, seed: 1, ids: order.map((i) => ids[i] as string) })
    const byId = new Map(order.map((i, pos) => [ids[i], shuffled[pos]]))
    ids.forEach((id, i) => expect(byId.get(id)).toBe(folds[i]))
  })

  it('rejects bad input', () => {
    expect(() => stratifiedKFold(labels, { k: 1 })).toThrow(RangeError)
    expect(() => stratifiedKFold(['a', 'b'], { ids: ['x', 'x'] })).toThrow(RangeError)
    expect(() => stratifiedKFold(['a', 'b'], { ids: ['x'] })).toThrow(RangeError)
  })
})
