import { describe, it, expect } from 'vitest'
import {
  binaryCurves,
  classificationReport,
  confusionMatrix,
  mulberry32,
  oneVsRestCurves,
  perFoldClassAccuracy
} from '../../../src/main/stats'

const classes = ['neutrophil', 'eosinophil', 'basophil'] as const

describe('confusion matrix and classification report', () => {
  // Worked by hand: 3 neutrophils (2 right, 1 called eosinophil), 2 eosinophils
  // (both right), 1 basophil (called neutrophil).
  const truth = ['neutrophil', 'neutrophil', 'neutrophil', 'eosinophil', 'eosinophil', 'basophil']
  const predicted = ['neutrophil', 'eosinophil', 'neutrophil', 'eosinophil', 'eosinophil', 'neutrophil']

  it('puts truth in rows and predictions in columns', () => {
    expect(confusionMatrix(truth, predicted, classes)).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [1, 0, 0]
    ])
  })

  it('computes accuracy, per-class and macro figures', () => {
    const r = classificationReport(truth, predicted, classes)
    expect(r.total).toBe(6)
    expect(r.accuracy).toBeCloseTo(4 / 6, 15)
    const [n, e, b] = r.perClass
    expect(n).toMatchObject({ label: 'neutrophil', support: 3 })
    expect(n?.precision).toBeCloseTo(2 / 3, 15)
    expect(n?.recall).toBeCloseTo(2 / 3, 15)
    expect(n?.f1).toBeCloseTo(2 / 3, 15)
    expect(e?.precision).toBeCloseTo(2 / 3, 15)
    expect(e?.recall).toBe(1)
    expect(e?.f1).toBeCloseTo(0.8, 15)
    // never predicted: precision, recall and F1 are 0, not NaN and not 1
    expect(b).toEqual({ label: 'basophil', precision: 0, recall: 0, f1: 0, support: 1 })
    expect(r.macro.precision).toBeCloseTo((2 / 3 + 2 / 3 + 0) / 3, 15)
    expect(r.macro.recall).toBeCloseTo((2 / 3 + 1 + 0) / 3, 15)
    expect(r.macro.f1).toBeCloseTo((2 / 3 + 0.8 + 0) / 3, 15)
  })

  it('refuses labels outside the class list and mismatched lengths', () => {
    expect(() => confusionMatrix(['monocyte'], ['neutrophil'], classes)).toThrow(/monocyte/)
    expect(() => confusionMatrix(['neutrophil'], [], classes)).toThrow(RangeError)
  })

  it('is NaN-accurate on an empty set rather than pretending', () => {
    expect(classificationReport([], [], classes).accuracy).toBeNaN()
  })
})

describe("per-fold per-class accuracy (the paper's Table 10)", () => {
  it('has folds as rows, classes as columns, null where a fold lacks a class', () => {
    const table = perFoldClassAccuracy(
      [
        { truth: ['neutrophil', 'neutrophil', 'eosinophil'], predicted: ['neutrophil', 'eosinophil', 'eosinophil'] },
        { truth: ['neutrophil', 'basophil'], predicted: ['neutrophil', 'basophil'] }
      ],
      classes
    )
    expect(table.rows).toEqual([
      [0.5, 1, null],
      [1, null, 1]
    ])
    expect(table.mean).toEqual([0.75, 1, 1])
    expect(table.overall[0]).toBeCloseTo(2 / 3, 15)
    expect(table.overall[1]).toBe(1)
  })
})

/** AUC as the Mann-Whitney probability that a positive outscores a negative (ties count half). */
function mannWhitneyAuc(scores: number[], positive: boolean[]): number {
  let wins = 0
  let pairs = 0
  scores.forEach((sp, i) => {
    if (!positive[i]) return
    scores.forEach((sn, j) => {
      if (positive[j]) return
      pairs++
      wins += sp > sn ? 1 : sp === sn ? 0.5 : 0
    })
  })
  return wins / pairs
}

describe('ROC and precision-recall curves', () => {
  it("matches scikit-learn's documented example (ROC AUC 0.75, AP 0.83)", () => {
    // roc_auc_score / average_precision_score docs: y_true [0,0,1,1], scores [0.1,0.4,0.35,0.8]
    const c = binaryCurves('x', [0.1, 0.4, 0.35, 0.8], [false, false, true, true])
    expect(c.rocAuc).toBeCloseTo(0.75, 15)
    expect(c.averagePrecision).toBeCloseTo(0.8333333333333333, 15)
    expect(c.roc[0]).toEqual({ threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 })
    expect(c.roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 })
    expect(c.pr.at(-1)).toMatchObject({ recall: 1, precision: 0.5 })
  })

  it('equals the Mann-Whitney statistic on random scores with many ties', () => {
    const random = mulberry32(5)
    for (let trial = 0; trial < 20; trial++) {
      const scores = Array.from({ length: 60 }, () => Math.round(random() * 8) / 8) // coarse: ties
      const positive = scores.map((s) => random() < 0.3 + 0.4 * s)
      if (!positive.some(Boolean) || positive.every(Boolean)) continue
      expect(binaryCurves('x', scores, positive).rocAuc).toBeCloseTo(mannWhitneyAuc(scores, positive), 12)
    }
  })

  it('gives a tie block the diagonal, not an optimistic staircase', () => {
    const c = binaryCurves('x', [0.5, 0.5, 0.5, 0.5], [true, false, true, false])
    expect(c.rocAuc).toBeCloseTo(0.5, 15)
    expect(c.roc).toHaveLength(2)
    expect(c.averagePrecision).toBeCloseTo(0.5, 15)
  })

  it('marks a class with no positives (or no negatives) as degenerate instead of inventing an AUC', () => {
    const none = binaryCurves('basophil', [0.2, 0.1], [false, false])
    expect(none).toMatchObject({ rocAuc: null, averagePrecision: null, degenerate: 'no-positives', roc: [], pr: [] })
    const all = binaryCurves('basophil', [0.2, 0.1], [true, true])
    expect(all.rocAuc).toBeNull()
    expect(all.degenerate).toBe('no-negatives')
    expect(all.averagePrecision).toBe(1)
  })

  it('one-vs-rest reads each class column and averages over defined classes only', () => {
    const truth = ['neutrophil', 'neutrophil', 'eosinophil', 'eosinophil']
    const p = [
      [0.8, 0.1, 0.1],
      [0.4, 0.5, 0.1],
      [0.3, 0.6, 0.1],
      [0.1, 0.7, 0.2]
    ]
    const r = oneVsRestCurves(truth, p, classes)
    expect(r.perClass[0]?.rocAuc).toBeCloseTo(1, 15)
    expect(r.perClass[1]?.rocAuc).toBeCloseTo(1, 15)
    expect(r.perClass[2]?.degenerate).toBe('no-positives')
    expect(r.macroRocAuc).toBeCloseTo(1, 15)
    expect(() => oneVsRestCurves(truth, [[1, 0]], classes)).toThrow(RangeError)
  })
})
