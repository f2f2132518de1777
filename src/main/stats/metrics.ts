// Classification metrics for cross-validation and evaluation reports, in the
// terms of the W-Net paper: confusion matrix, accuracy, per-class precision /
// recall / F1, per-fold per-class accuracy (its Table 10), and one-vs-rest ROC
// and precision-recall curves. Classes are passed explicitly so a class with no
// cells still gets its row, and the order is the caller's (model-output order).

export type ConfusionMatrix = number[][]

function classIndex(classes: readonly string[]): Map<string, number> {
  const index = new Map<string, number>()
  classes.forEach((label, i) => index.set(label, i))
  if (index.size !== classes.length) throw new RangeError('class labels must be unique')
  return index
}

function indexOf(index: Map<string, number>, label: string, what: string): number {
  const i = index.get(label)
  if (i === undefined) throw new RangeError(`${what} label "${label}" is not one of the classes`)
  return i
}

/** Confusion matrix: rows are the true class, columns the predicted class. */
export function confusionMatrix(
  truth: readonly string[],
  predicted: readonly string[],
  classes: readonly string[]
): ConfusionMatrix {
  if (truth.length !== predicted.length) throw new RangeError('truth and predicted differ in length')
  const index = classIndex(classes)
  const matrix = classes.map(() => new Array<number>(classes.length).fill(0))
  for (let i = 0; i < truth.length; i++) {
    const row = matrix[indexOf(index, truth[i] as string, 'true')] as number[]
    const col = indexOf(index, predicted[i] as string, 'predicted')
    row[col] = (row[col] as number) + 1
  }
  return matrix
}

export interface ClassMetrics {
  label: string
  /** Of the cells called this class, the share that were. 0 when the class was never predicted. */
  precision: number
  /** Of the cells of this class, the share called so (the paper's per-class accuracy). 0 when support is 0. */
  recall: number
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number
  /** Cells of this class in the truth. */
  support: number
}

export interface ClassificationReport {
  classes: string[]
  confusion: ConfusionMatrix
  total: number
  /** Share of all cells classified correctly; NaN for an empty set. */
  accuracy: number
  perClass: ClassMetrics[]
  /** Unweighted means over all listed classes. */
  macro: { precision: number; recall: number; f1: number }
}

/** Metrics from a confusion matrix (rows true, columns predicted). */
export function reportFromConfusion(confusion: ConfusionMatrix, classes: readonly string[]): ClassificationReport {
  const n = classes.length
  if (confusion.length !== n || confusion.some((row) => row.length !== n)) {
    throw new RangeError('confusion matrix shape does not match the classes')
  }
  let total = 0
  let correct = 0
  const perClass: ClassMetrics[] = classes.map((label, c) => {
    const row = confusion[c] as number[]
    const support = row.reduce((a, b) => a + b, 0)
    const predictedAs = confusion.reduce((a, r) => a + (r[c] as number), 0)
    const truePositives = row[c] as number
    total += support
    correct += truePositives
    // Zero denominators give 0 (as scikit-learn's zero_division=0): a class the
    // model never predicts has no precision to speak of and must not look perfect.
    const precision = predictedAs === 0 ? 0 : truePositives / predictedAs
    const recall = support === 0 ? 0 : truePositives / support
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    return { label, precision, recall, f1, support }
  })
  const mean = (pick: (m: ClassMetrics) => number) => perClass.reduce((a, m) => a + pick(m), 0) / n
  return {
    classes: [...classes],
    confusion: confusion.map((row) => [...row]),
    total,
    accuracy: total === 0 ? Number.NaN : correct / total,
    perClass,
    macro: { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1) }
  }
}

export function classificationReport(
  truth: readonly string[],
  predicted: readonly string[],
  classes: readonly string[]
): ClassificationReport {
  return reportFromConfusion(confusionMatrix(truth, predicted, classes), classes)
}

export interface FoldPredictions {
  truth: readonly string[]
  predicted: readonly string[]
}

export interface PerFoldClassAccuracy {
  classes: string[]
  /** rows[f][c]: share of fold f's cells of class c classified correctly; null when fold f has none. */
  rows: (number | null)[][]
  /** Per-class mean over the folds that have the class (null if none has it). */
  mean: (number | null)[]
  /** Per-fold overall accuracy (null for an empty fold). */
  overall: (number | null)[]
}

/** The paper's Table 10: per-fold (rows), per-class (columns) accuracy. */
export function perFoldClassAccuracy(folds: readonly FoldPredictions[], classes: readonly string[]): PerFoldClassAccuracy {
  const rows: (number | null)[][] = []
  const overall: (number | null)[] = []
  for (const fold of folds) {
    const confusion = confusionMatrix(fold.truth, fold.predicted, classes)
    let total = 0
    let correct = 0
    rows.push(
      confusion.map((row, c) => {
        const support = row.reduce((a, b) => a + b, 0)
        total += support
        correct += row[c] as number
        return support === 0 ? null : (row[c] as number) / support
      })
    )
    overall.push(total === 0 ? null : correct / total)
  }
  const mean = classes.map((_, c) => {
    const values = rows.map((row) => row[c]).filter((v): v is number => v !== null)
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length
  })
  return { classes: [...classes], rows, mean, overall }
}

/** Why a one-vs-rest curve could not be drawn for a class. */
export type DegenerateReason = 'no-positives' | 'no-negatives'

export interface RocPoint {
  /** Scores >= threshold are called positive; the first point (0, 0) has threshold +Infinity. */
  threshold: number
  fpr: number
  tpr: number
}

export interface PrPoint {
  threshold: number
  recall: number
  precision: number
}

export interface ClassCurves {
  label: string
  positives: number
  negatives: number
  /** null (with `degenerate` set) when the class has no positives or no negatives in the set. */
  rocAuc: number | null
  /** Average precision (PR AUC, step-wise, no interpolation); null when there are no positives. */
  averagePrecision: number | null
  roc: RocPoint[]
  pr: PrPoint[]
  degenerate?: DegenerateReason
}

export interface CurveReport {
  perClass: ClassCurves[]
  /** Means over the classes whose value is defined; null if none is. */
  macroRocAuc: number | null
  macroAveragePrecision: number | null
}

/**
 * Cumulative true/false positive counts at each distinct score, scores
 * descending. Tied scores form one step: the model cannot order them, so the
 * curve moves diagonally across them (which counts a tie as half a win in the
 * AUC, matching the Mann-Whitney statistic).
 */
function thresholdSteps(scores: readonly number[], positive: readonly boolean[]) {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number))
  const steps: { threshold: number; tp: number; fp: number }[] = []
  let tp = 0
  let fp = 0
  for (let i = 0; i < order.length; i++) {
    const item = order[i] as number
    if (positive[item]) tp++
    else fp++
    const next = order[i + 1]
    if (next === undefined || scores[next] !== scores[item]) steps.push({ threshold: scores[item] as number, tp, fp })
  }
  return steps
}

/** One-vs-rest ROC and PR curves of one class from that class's scores. */
export function binaryCurves(label: string, scores: readonly number[], positive: readonly boolean[]): ClassCurves {
  if (scores.length !== positive.length) throw new RangeError('scores and labels differ in length')
  if (scores.some((s) => !Number.isFinite(s))) throw new RangeError(`non-finite score for class "${label}"`)
  const positives = positive.filter(Boolean).length
  const negatives = positive.length - positives
  const steps = thresholdSteps(scores, positive)

  const roc: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 }]
  let rocAuc: number | null = null
  if (positives > 0 && negatives > 0) {
    rocAuc = 0
    let prev = roc[0] as RocPoint
    for (const step of steps) {
      const point = { threshold: step.threshold, fpr: step.fp / negatives, tpr: step.tp / positives }
      rocAuc += ((point.fpr - prev.fpr) * (point.tpr + prev.tpr)) / 2
      roc.push(point)
      prev = point
    }
  }

  const pr: PrPoint[] = []
  let averagePrecision: number | null = null
  if (positives > 0) {
    // Starts at recall 0, precision 1 by convention so the curve has a left end.
    pr.push({ threshold: Number.POSITIVE_INFINITY, recall: 0, precision: 1 })
    averagePrecision = 0
    let prevRecall = 0
    for (const step of steps) {
      const recall = step.tp / positives
      const precision = step.tp / (step.tp + step.fp)
      averagePrecision += (recall - prevRecall) * precision
      prevRecall = recall
      pr.push({ threshold: step.threshold, recall, precision })
    }
  }

  const curves: ClassCurves = { label, positives, negatives, rocAuc, averagePrecision, roc: rocAuc === null ? [] : roc, pr }
  if (positives === 0) curves.degenerate = 'no-positives'
  else if (negatives === 0) curves.degenerate = 'no-negatives'
  return curves
}

/**
 * One-vs-rest curves for every class from per-cell class probabilities
 * (probabilities[i][c] is cell i's probability of classes[c]).
 */
export function oneVsRestCurves(
  truth: readonly string[],
  probabilities: readonly (readonly number[])[],
  classes: readonly string[]
): CurveReport {
  if (truth.length !== probabilities.length) throw new RangeError('truth and probabilities differ in length')
  const index = classIndex(classes)
  const truthIndex = truth.map((label) => indexOf(index, label, 'true'))
  probabilities.forEach((row, i) => {
    if (row.length !== classes.length) throw new RangeError(`probability row ${i} has ${row.length} values, expected ${classes.length}`)
  })
  const perClass = classes.map((label, c) =>
    binaryCurves(
      label,
      probabilities.map((row) => row[c] as number),
      truthIndex.map((t) => t === c)
    )
  )
  const meanOf = (values: (number | null)[]) => {
    const defined = values.filter((v): v is number => v !== null)
    return defined.length === 0 ? null : defined.reduce((a, b) => a + b, 0) / defined.length
  }
  return {
    perClass,
    macroRocAuc: meanOf(perClass.map((c) => c.rocAuc)),
    macroAveragePrecision: meanOf(perClass.map((c) => c.averagePrecision))
  }
}
