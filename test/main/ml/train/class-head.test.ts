// Starting a model with another class list from a trained one
// (src/main/ml/train/class-head.ts): at 32 px, a five-class W-Net's weights
// become an eight-class W-Net's, every layer but the output copied, the output
// keeping the five classes' columns by name and starting the new ones fresh.
import { describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/ml/model/tfjs-backend'
import { buildModel, specFor } from '../../../../src/main/ml/model/architectures/index'
import { flattenWeights, layoutOf } from '../../../../src/main/ml/train/replica'
import { weightsForClasses } from '../../../../src/main/ml/train/class-head'
import { WBC_CLASSES } from '../../../../src/shared/cells'

describe('a new class list from a trained model', () => {
  it('copies every layer, keeps the shared classes\' output columns by name and starts the new ones fresh', async () => {
    await initBackend('cpu')
    const five = buildModel(specFor('wnet', { inputSize: 32, seed: 5 }))
    // The eight-class order puts a new class first, so columns must be matched by name, not position.
    const eight = ['ig', ...WBC_CLASSES, 'erythroblast', 'platelet']
    const spec8 = specFor('wnet', { inputSize: 32, seed: 9, numClasses: 8 })
    const r = weightsForClasses(five, WBC_CLASSES, spec8, eight)
    expect(r.kept).toEqual([...WBC_CLASSES])
    expect(r.fresh).toEqual(['ig', 'erythroblast', 'platelet'])
    const src = flattenWeights(five)
    const a = layoutOf(five)
    const fresh8 = buildModel(spec8)
    const b = layoutOf(fresh8)
    const init8 = flattenWeights(fresh8)
    for (const e of b.entries) {
      const s = a.entries.find((x) => x.name === e.name)!
      const got = r.weights.subarray(e.offset, e.offset + e.size)
      if (!e.name.startsWith('output/')) {
        expect(Array.from(got)).toEqual(Array.from(src.subarray(s.offset, s.offset + s.size)))
        continue
      }
      const rows = e.shape.length === 2 ? e.shape[0]! : 1
      eight.forEach((cls, c) => {
        const sc = WBC_CLASSES.indexOf(cls as never)
        for (const row of [0, rows - 1]) {
          const v = got[row * 8 + c]
          if (sc >= 0) expect(v).toBe(src[s.offset + row * 5 + sc])
          else expect(v).toBe(init8[e.offset + row * 8 + c])
        }
      })
    }
    fresh8.dispose()
    expect(() => weightsForClasses(five, WBC_CLASSES, specFor('wnet', { inputSize: 64, numClasses: 8 }), eight)).toThrow(/is .* in the source model/)
    five.dispose()
  })
})
