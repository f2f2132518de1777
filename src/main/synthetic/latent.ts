// Seeded randomness for GAN training and generation. Every draw is a pure
// function of (seed, purpose, counter), so a resumed run draws the same
// batches and noise it would have drawn, and (checkpoint, seed, index)
// re-creates a generated cell exactly.
import { mulberry32, seedFromString, seededShuffle, type Random } from '../stats/index'

/** A generator for one purpose and counter under a seed ('z', step 120 ...). */
export function streamFor(seed: number, purpose: string, counter = 0): Random {
  return mulberry32(seedFromString(`${seed >>> 0}:${purpose}:${counter}`))
}

/** n standard-normal values (Box-Muller). */
export function normals(random: Random, n: number, out = new Float32Array(n)): Float32Array {
  for (let i = 0; i < n; i += 2) {
    const u = 1 - random()
    const v = random()
    const r = Math.sqrt(-2 * Math.log(u))
    out[i] = r * Math.cos(2 * Math.PI * v)
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v)
  }
  return out
}

/**
 * Latent vectors [from, from + count) of a generation seed: vector i depends
 * only on (seed, i), so any slice of a draw can be re-created alone.
 */
export function latentVectors(seed: number, from: number, count: number, latentDim: number): Float32Array {
  const out = new Float32Array(count * latentDim)
  for (let k = 0; k < count; k++) normals(streamFor(seed, 'latent', from + k), latentDim, out.subarray(k * latentDim, (k + 1) * latentDim))
  return out
}

/** The order real cells are visited in during epoch `epoch` of a training run. */
export function epochOrder(seed: number, epoch: number, n: number): number[] {
  return seededShuffle(Array.from({ length: n }, (_, i) => i), streamFor(seed, 'epoch', epoch))
}
