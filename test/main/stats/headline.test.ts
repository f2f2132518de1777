// The headline figure of a run or model: one rule for `wbc runs` and the Models screen.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { headlineMetrics } from '../../../src/main/stats/headline'

describe('headlineMetrics', () => {
  it('prefers the pooled cross-validation report, then held-out validation, then top-level figures', () => {
    const crossval = { overall: { accuracy: 0.9, macro: { f1: 0.88 } }, validation: { accuracy: 0.5, macro: { f1: 0.4 } }, accuracy: 0.1 }
    expect(headlineMetrics(crossval)).toEqual({ accuracy: 0.9, macroF1: 0.88 })
    const training = { validation: { accuracy: 0.81, macro: { f1: 0.8 } }, accuracy: 0.99, macroF1: 0.99 }
    expect(headlineMetrics(training)).toEqual({ accuracy: 0.81, macroF1: 0.8 })
    expect(headlineMetrics({ accuracy: 0.7, macroF1: 0.65, evaluation: { accuracy: 0.2 } })).toEqual({ accuracy: 0.7, macroF1: 0.65 })
    expect(headlineMetrics({ heldOut: { accuracy: 0.6, macroF1: 0.5 } })).toEqual({ accuracy: 0.6, macroF1: 0.5 })
  })

  it('skips reports without a finite accuracy and says null when there is none', () => {
    expect(headlineMetrics({ overall: { accuracy: Number.NaN }, validation: null, test: { accuracy: 0.3 } })).toEqual({ accuracy: 0.3, macroF1: null })
    expect(headlineMetrics(null)).toEqual({ accuracy: null, macroF1: null })
    expect(headlineMetrics({ epochs: 3 })).toEqual({ accuracy: null, macroF1: null })
  })

  it("reads the shipped model's held-out figures, kept per weight type (it used to show '–')", () => {
    const modelJson = JSON.parse(readFileSync(join(__dirname, '../../../resources/models/wnet-pbc/model.json'), 'utf8'))
    const metrics = modelJson.userDefinedMetadata.wbc.metrics
    expect(metrics.heldOut.accuracy).toBeUndefined()
    expect(headlineMetrics(metrics, 'uint8').accuracy).toBeCloseTo(0.97564, 5)
    expect(headlineMetrics(metrics, 'float32').accuracy).toBeCloseTo(0.97680, 5)
    expect(headlineMetrics(metrics).accuracy).toBeCloseTo(0.97564, 5)
  })
})
