// Grey-world input normalisation on real cells: a Chula cell (another site's
// darker, bluer colours) is brought to PBC's mean colour, channel by channel,
// by one scale per channel; 'none' is the identity; a model's metadata
// decides (absent is none, an unknown value is refused); and fillBatch, the
// one door to every network, applies it before standardising.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { preprocessCell, standardize } from '../../../../src/main/imaging/preprocess'
import { fillBatch } from '../../../../src/main/ml/data/cell-set'
import { GREY_WORLD_TARGET, greyWorld, inputNormalisationOf, normaliseCell } from '../../../../src/main/ml/data/input-normalisation'
import { realCells } from '../../../helpers/datasets'

const S = 64
const cell = async (dataset: string, cls: string) => preprocessCell(readFileSync(realCells(dataset, cls, 1)[0]), S)
const channelMeans = (px: Uint8Array) => {
  const s = [0, 0, 0]
  for (let p = 0; p < px.length; p += 3) for (let c = 0; c < 3; c++) s[c] += px[p + c]
  return s.map((v) => v / (px.length / 3))
}

describe('grey-world input normalisation', () => {
  it("brings a Chula cell's mean colour to PBC's, one scale per channel", async () => {
    const src = await cell('chula-wbc', 'neutrophil')
    const before = channelMeans(src)
    // A Chula cell is far darker than PBC's mean colour: the test would prove nothing on a cell already there.
    expect(before[0]).toBeLessThan(GREY_WORLD_TARGET[0] - 40)
    const dst = new Uint8Array(src.length)
    greyWorld(src, dst)
    const after = channelMeans(dst)
    // Rounding and the few pixels clipped at 255 keep it within a few levels of the target.
    after.forEach((m, c) => expect(Math.abs(m - GREY_WORLD_TARGET[c]), `channel ${c}: ${m}`).toBeLessThan(4))
    // Each channel is scaled, not shifted: every pixel is round(v x target / mean), clipped at 255.
    for (const p of [0, 3 * 777 + 1, 3 * (S * S / 2) + 2, src.length - 1]) {
      const c = p % 3
      expect(dst[p]).toBe(Math.min(255, Math.round((src[p] * GREY_WORLD_TARGET[c]) / before[c])))
    }
  })

  it('changes a PBC cell far less than a Chula cell', async () => {
    const moved = (src: Uint8Array) => {
      const dst = new Uint8Array(src.length)
      greyWorld(src, dst)
      return dst.reduce((a, v, i) => a + Math.abs(v - src[i]), 0) / src.length
    }
    expect(moved(await cell('pbc-wbc', 'neutrophil'))).toBeLessThan(moved(await cell('chula-wbc', 'neutrophil')) / 2)
  })

  it("is the identity for 'none', and a model's metadata decides: absent is none, unknown is refused", async () => {
    const src = await cell('chula-wbc', 'lymphocyte')
    expect(normaliseCell(src, new Uint8Array(src.length), 'none')).toBe(src)
    expect(inputNormalisationOf({})).toBe('none')
    expect(inputNormalisationOf({ inputNormalisation: null })).toBe('none')
    expect(inputNormalisationOf({ inputNormalisation: 'grey-world' })).toBe('grey-world')
    expect(() => inputNormalisationOf({ inputNormalisation: 'reinhard' })).toThrow(/unknown input normalisation "reinhard"/)
  })

  it('fillBatch normalises before standardising, and only when the model asks', async () => {
    const a = await cell('chula-wbc', 'neutrophil')
    const b = await cell('chula-wbc', 'monocyte')
    const pixels = new Uint8Array(2 * a.length)
    pixels.set(a, 0)
    pixels.set(b, a.length)
    const per = a.length
    const gw = fillBatch(pixels, S, [1, 0], new Float32Array(2 * per), { input: 'grey-world' })
    const expected = new Float32Array(2 * per)
    const nb = new Uint8Array(per)
    greyWorld(b, nb)
    standardize(nb, expected, 0)
    const na = new Uint8Array(per)
    greyWorld(a, na)
    standardize(na, expected, per)
    expect(gw).toEqual(expected)
    const none = fillBatch(pixels, S, [1, 0], new Float32Array(2 * per), { input: 'none' })
    const plain = new Float32Array(2 * per)
    standardize(b, plain, 0)
    standardize(a, plain, per)
    expect(none).toEqual(plain)
    expect(none).not.toEqual(gw)
  })
})
