// Site jitter on a real cell: the identity row changes nothing, each jitter
// changes what it should (stain: colours; blur: sharpness; scale: the cell's
// size), and the draws are a function of the seed.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { preprocessCell } from '../../../../src/main/imaging/preprocess'
import { applySiteJitter, drawSiteJitter, SITE_JITTER_VALUES } from '../../../../src/main/ml/data/site-augment'
import { SeededRng } from '../../../../src/main/stats/random'
import { realCells } from '../../../helpers/datasets'

const S = 48
const cell = async () => preprocessCell(readFileSync(realCells('pbc-wbc', 'neutrophil', 1)[0]), S)
const row = (o: Partial<{ a: number[]; b: number[]; blur: number; zoom: number }>) =>
  Float32Array.from([...(o.a ?? [1, 1, 1]), ...(o.b ?? [0, 0, 0]), o.blur ?? 0, o.zoom ?? 1])
const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length
/** Sum of squared differences between horizontal neighbours: falls when an image is blurred. */
const sharpness = (a: Uint8Array) => {
  let s = 0
  for (let y = 0; y < S; y++) for (let x = 1; x < S; x++) for (let k = 0; k < 3; k++) s += (a[(y * S + x) * 3 + k] - a[(y * S + x - 1) * 3 + k]) ** 2
  return s
}

describe('site jitter', () => {
  it('leaves a cell unchanged with the identity row', async () => {
    const src = await cell()
    const dst = new Uint8Array(src.length)
    applySiteJitter(src, dst, S, row({}))
    expect(dst).toEqual(src)
  })

  it('changes colours with a stain jitter, sharpness with blur, the cell size with zoom', async () => {
    const src = await cell()
    const stained = new Uint8Array(src.length)
    applySiteJitter(src, stained, S, row({ a: [1.2, 0.9, 1], b: [0.05, -0.05, 0] }))
    expect(meanAbsDiff(src, stained)).toBeGreaterThan(3)
    const blurred = new Uint8Array(src.length)
    applySiteJitter(src, blurred, S, row({ blur: 3 }))
    expect(sharpness(blurred)).toBeLessThan(sharpness(src) * 0.5)
    // Zoomed in, the dark nucleus covers more of the frame.
    const dark = (a: Uint8Array) => a.filter((_, i) => i % 3 === 1 && a[i] < 120).length
    const zoomed = new Uint8Array(src.length)
    applySiteJitter(src, zoomed, S, row({ zoom: 1.3 }))
    expect(dark(zoomed)).toBeGreaterThan(dark(src) * 1.3)
  })

  it('draws the same jitter from the same seed, within the asked ranges', () => {
    const draw = (seed: number) => {
      const out = new Float32Array(SITE_JITTER_VALUES * 50)
      const rng = new SeededRng(seed)
      for (let i = 0; i < 50; i++) drawSiteJitter(rng, { stain: 0.1, blur: 1.5, scale: 0.2 }, out, i * SITE_JITTER_VALUES)
      return out
    }
    expect(draw(7)).toEqual(draw(7))
    expect(draw(7)).not.toEqual(draw(8))
    const d = draw(7)
    for (let i = 0; i < 50; i++) {
      const r = d.subarray(i * SITE_JITTER_VALUES, (i + 1) * SITE_JITTER_VALUES)
      for (let c = 0; c < 3; c++) expect(Math.abs(r[c] - 1)).toBeLessThanOrEqual(0.1 + 1e-6)
      for (let c = 3; c < 6; c++) expect(Math.abs(r[c])).toBeLessThanOrEqual(0.1 + 1e-6)
      expect(r[6]).toBeGreaterThanOrEqual(0)
      expect(r[6]).toBeLessThanOrEqual(1.5)
      expect(r[7]).toBeGreaterThanOrEqual(1 / 1.2 - 1e-6)
      expect(r[7]).toBeLessThanOrEqual(1.2 + 1e-6)
    }
  })
})
