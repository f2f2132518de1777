// The one accuracy / macro F1 that stands for a run or a model in lists
// (`wbc runs`, the Models screen). Both read it here so they never disagree.
//
// Which report wins when a record holds several: the pooled cross-validation
// report (`overall`), else a training run's held-out `validation`, else
// figures recorded at the top level (a model's own metrics), else an
// evaluation / held-out / test report.

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export interface Headline {
  accuracy: number | null
  macroF1: number | null
}

export function headlineMetrics(metrics: unknown, weights?: string): Headline {
  if (!metrics || typeof metrics !== 'object') return { accuracy: null, macroF1: null }
  const o = metrics as Record<string, unknown>
  const candidates = [o.overall, o.validation, o, o.evaluation, o.heldOut, o.test]
  for (const c of candidates) {
    if (!c || typeof c !== 'object') continue
    const found = reportOf(c as Record<string, unknown>, weights)
    if (found) return found
  }
  return { accuracy: null, macroF1: null }
}

/**
 * A report's figures, or those of the weights the model carries when the
 * report holds one per weight type: a shipped model's held-out report is
 * `{uint8: {...}, float32: {...}}` and an 8-bit model stands for its 8-bit
 * figures (without this, the Models screen showed "–" for it).
 */
function reportOf(c: Record<string, unknown>, weights?: string): Headline | null {
  const x = c as { accuracy?: unknown; macroF1?: unknown; macro?: { f1?: unknown } }
  const accuracy = num(x.accuracy)
  if (accuracy !== null) return { accuracy, macroF1: num(x.macroF1) ?? num(x.macro?.f1) }
  for (const key of [weights, 'uint8', 'uint16', 'float16', 'float32']) {
    const inner = key ? c[key] : undefined
    if (inner && typeof inner === 'object') {
      const y = inner as { accuracy?: unknown; macroF1?: unknown; macro?: { f1?: unknown } }
      const a = num(y.accuracy)
      if (a !== null) return { accuracy: a, macroF1: num(y.macroF1) ?? num(y.macro?.f1) }
    }
  }
  return null
}
