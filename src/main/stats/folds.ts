// Stratified k-fold assignment for cross-validation: every class is spread as
// evenly as possible over the folds, so each fold's test set has the slide
// population's class mix (basophils are rare; an unstratified split can leave
// a fold with none).

import { mulberry32, seededShuffle } from './random'

export interface StratifiedFoldOptions {
  /** Number of folds (default 10, as the paper). */
  k?: number
  /** Seed of the shuffle; the same seed and items give the same folds. */
  seed?: number
  /**
   * Stable item ids (e.g. image ids). When given, the assignment depends on
   * the set of (id, label) pairs, not on the order the caller listed them in,
   * so a fold plan re-derived from the database is identical.
   */
  ids?: readonly (string | number)[]
}

/**
 * Returns the fold index (0..k-1) of each item, in the order of `labels`.
 *
 * Within each class (taken in sorted label order) the items are shuffled with
 * the seeded generator and dealt round-robin; the dealing continues where the
 * previous class stopped, so fold sizes overall differ by at most one as well.
 */
export function stratifiedKFold(labels: readonly string[], options: StratifiedFoldOptions = {}): number[] {
  const k = options.k ?? 10
  const seed = options.seed ?? 0
  const ids = options.ids
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`)
  if (ids && ids.length !== labels.length) throw new RangeError('ids and labels differ in length')
  if (ids && new Set(ids).size !== ids.length) throw new RangeError('ids must be unique')

  const byClass = new Map<string, number[]>()
  labels.forEach((label, index) => {
    const members = byClass.get(label)
    if (members) members.push(index)
    else byClass.set(label, [index])
  })

  const random = mulberry32(seed)
  const folds = new Array<number>(labels.length).fill(-1)
  let next = 0
  for (const label of [...byClass.keys()].sort()) {
    let members = byClass.get(label) as number[]
    if (ids) members = members.slice().sort((a, b) => compareIds(ids[a] as string | number, ids[b] as string | number))
    for (const index of seededShuffle(members, random)) {
      folds[index] = next
      next = (next + 1) % k
    }
  }
  return folds
}

function compareIds(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const sa = String(a)
  const sb = String(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}
