// The quality report's per-class checks on their own (the report's functions
// that scripts/gan-quick-check.ts calls too): what the baseline calls the
// generated cells, and the cosine similarities, on cells small enough to
// work out by hand.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../src/main/ml/model/tfjs-backend'
import { baselineCalls, cosineSimilarities } from '../../../src/main/synthetic/quality'
import type { CellPixels } from '../../../src/main/synthetic/cells'

const SIZE = 2
const CLASSES = ['red', 'green', 'blue']

/** Cells of one flat colour each (channel 0, 1 or 2 at 255, the others 0). */
function cells(channels: number[]): CellPixels {
  const per = SIZE * SIZE * 3
  const pixels = new Uint8Array(channels.length * per)
  channels.forEach((ch, i) => {
    for (let p = 0; p < SIZE * SIZE; p++) pixels[i * per + p * 3 + ch] = 255
  })
  return { pixels, size: SIZE, count: channels.length, refs: [] }
}

/** A "baseline" that calls a cell by its brightest channel: one dense layer summing each channel. */
function channelJudge(): tf.LayersModel {
  const dense = tf.layers.dense({ units: 3, activation: 'softmax', useBias: false })
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [SIZE, SIZE, 3] }), dense] })
  const w = new Float32Array(SIZE * SIZE * 3 * 3)
  for (let i = 0; i < SIZE * SIZE * 3; i++) w[i * 3 + (i % 3)] = 1
  dense.setWeights([tf.tensor2d(w, [SIZE * SIZE * 3, 3])])
  return model
}

beforeAll(async () => {
  await initBackend('wasm')
})

describe('quality checks', () => {
  it('counts what the baseline calls the generated cells and how many real ones it gets right', () => {
    const model = channelJudge()
    try {
      const real = cells([0, 0, 1]) // two red, one green
      const gen = cells([0, 2, 2, 2]) // one red, three blue
      const r = baselineCalls(model, 'none', CLASSES, 'red', real, gen)
      expect(r.generatedCalledAs).toEqual({ red: 1, green: 0, blue: 3 })
      expect(r.accuracyOnGenerated).toBeCloseTo(1 / 4, 10)
      expect(r.accuracyOnReal).toBeCloseTo(2 / 3, 10)
    } finally {
      model.dispose()
    }
  })

  it('compares real/real with real/generated on pixels and on the given features', () => {
    // Real: two red cells (cosine 1 with each other); generated: one red, one
    // green (cosine 1 and 0 with each red cell): real/generated = 0.5.
    const real = cells([0, 0])
    const gen = cells([0, 1])
    const fReal = [Float32Array.of(1, 0), Float32Array.of(1, 0)]
    const fGen = [Float32Array.of(0, 1), Float32Array.of(0, 1)]
    const c = cosineSimilarities(real, gen, fReal, fGen)
    expect(c.pixels.realReal).toBeCloseTo(1, 10)
    expect(c.pixels.realGenerated).toBeCloseTo(0.5, 10)
    expect(c.pixels.gap).toBeCloseTo(0.5, 10)
    expect(c.features).toEqual({ realReal: 1, realGenerated: 0, gap: 1 })
  })
})
