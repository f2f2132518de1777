// Transfer learning side by side (the paper: LISC 91% from scratch vs 96%
// fine-tuned): for any arm of a transfer experiment, every arm's pooled
// figures, for the run report (contract) and `wbc runs show`. Store and stats
// only, no TensorFlow.js.
import type { TransferArm, TransferComparison } from '../../shared/models'
import type { Db } from '../store/db'
import { listDatasets } from '../store/datasets'
import { getModel } from '../store/models'
import { getRun, listRuns, runFolds, type RunRow } from '../store/runs'
import { headlineMetrics } from './headline'

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/**
 * The transfer experiment a run belongs to (it is the scratch arm with
 * fine-tuned children, or one of those children), every arm side by side; null
 * for any other run. The scratch arm is known as such once its first
 * fine-tuned arm has started.
 *
 * One scratch run can serve several experiments (a second experiment with
 * the same dataset, folds and settings but another pre-trained model resumes
 * it as done): a fine-tuned arm's comparison shows the arms from its own
 * model, the scratch arm's shows them all, each named with its model.
 */
export function transferComparison(db: Db, r: RunRow): TransferComparison | null {
  const scratch = r.parentRunId !== null ? getRun(db, r.parentRunId) : r
  if (!scratch) return null
  const children = listRuns(db, { parentRunId: scratch.id }).filter((c) => c.kind === 'finetune')
  const tuned = r.id === scratch.id ? children : children.filter((c) => c.baseModelId === r.baseModelId)
  if (!tuned.length) return null
  const baseIds = [...new Set(tuned.map((t) => t.baseModelId))]
  const baseModels = baseIds.map((id) => (id === null ? undefined : getModel(db, id))).filter((m) => m !== undefined).map((m) => ({ id: m.id, name: m.name }))
  // Names can repeat (two imports of models called alike): the id tells them apart.
  const nameOf = (id: number | null) => `model ${id ?? '?'}${baseModels.some((b) => b.id === id) ? ` (${baseModels.find((b) => b.id === id)!.name})` : ''}`
  const arm = (label: string, run: RunRow): TransferArm => {
    const m = run.metrics as any
    const done = run.status === 'done' && m?.overall
    const accs: number[] = Array.isArray(m?.folds) ? m.folds.map((f: { accuracy: unknown }) => num(f.accuracy)).filter((a: number | null): a is number => a !== null) : []
    const mean = accs.reduce((a, b) => a + b, 0) / (accs.length || 1)
    const sd = accs.length > 1 ? Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / (accs.length - 1)) : 0
    return {
      label,
      runId: run.id,
      status: run.status,
      ...(done ? headlineMetrics(m) : { accuracy: null, macroF1: null }),
      macroRocAuc: done ? num(m?.curves?.macroRocAuc) : null,
      recall: done && Array.isArray(m.overall.perClass) ? Object.fromEntries(m.overall.perClass.map((c: { label: string; recall: number }) => [c.label, c.recall])) : null,
      foldAccuracy: done && accs.length ? { mean, sd } : null
    }
  }
  const names = new Map(listDatasets(db).map((d) => [d.id, d.name]))
  return {
    baseModels,
    dataset: scratch.datasetId === null ? null : (names.get(scratch.datasetId) ?? null),
    k: runFolds(db, scratch.id).length,
    arms: [
      arm('scratch', scratch),
      ...tuned.map((t) => {
        const mode = `fine-tune ${(t.hyperparameters as { init?: { mode?: string } }).init?.mode ?? '?'}`
        return arm(baseIds.length > 1 ? `${mode} from ${nameOf(t.baseModelId)}` : mode, t)
      })
    ]
  }
}

