// Numeric comparison for tests that check a hand-written kernel or forward
// pass against a reference implementation.
import { expect } from 'vitest'

/** max |a-b| / max |b| (arrays of equal length; a zero reference counts as 1). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let num = 0
  let den = 0
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!))
    den = Math.max(den, Math.abs(b[i]!))
  }
  return num / (den || 1)
}
