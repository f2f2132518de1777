// Transfer learning as the paper reports it (LISC: 91% from scratch vs 96%
// from a pre-trained W-Net): on a second dataset, cross-validate the same
// architecture trained from scratch and fine-tuned from a saved model (all
// layers, or the dense head only), on the same stored folds, and put the two
// side by side. Each half is an ordinary resumable cross-validation run; the
// fine-tuned runs point at the scratch run as their parent.
import type { Db } from '../../store/db'
import { getModel } from '../../store/models'
import type { ProgressListener } from '../../../shared/progress'
import { isArchitecture } from '../model/architectures/index'
import type { BackendPreference } from '../model/tfjs-backend'
import { crossValidate, formatSeconds, type CrossvalReport, type FineTuneMode } from './cross-validation'
import { resolveStoredModel } from '../model/registry'
import type { TrainSettings } from './trainer'

export interface TransferOptions {
  /** The pre-trained model (stored id or name, or a model folder, imported on first use). */
  baseModel: string | number
  dataset?: string
  imageIds?: readonly number[]
  /** Which fine-tuning to compare with scratch (default both). */
  modes?: FineTuneMode[]
  k?: number
  seed?: number
  /** Settings of both the scratch and the fine-tuned runs. */
  settings?: Partial<Omit<TrainSettings, 'seed'>>
  /** Overrides for the fine-tuned runs only (e.g. a lower learning rate). */
  fineTuneSettings?: Partial<Omit<TrainSettings, 'seed'>>
  workers?: number
  backend?: BackendPreference
  signal?: AbortSignal
  onProgress?: ProgressListener
  onRun?: (label: string, runId: number, resumed: boolean) => void
}

export interface TransferReport {
  dataset: string | null
  baseModelId: number
  foldPlan: string
  status: 'done' | 'cancelled'
  scratch: CrossvalReport
  fineTuned: { mode: FineTuneMode; report: CrossvalReport }[]
}

export async function transferExperiment(db: Db, o: TransferOptions): Promise<TransferReport> {
  const baseModelId = typeof o.baseModel === 'number' ? o.baseModel : await resolveStoredModel(db, o.baseModel)
  const base = getModel(db, baseModelId)!
  if (!isArchitecture(base.architecture)) throw new Error(`model ${baseModelId} has architecture ${base.architecture}, which this workstation cannot retrain`)
  const common = {
    dataset: o.dataset,
    imageIds: o.imageIds,
    classes: base.classes,
    architecture: base.architecture,
    inputSize: base.inputSize,
    k: o.k ?? 5,
    seed: o.seed ?? 1,
    workers: o.workers,
    backend: o.backend,
    signal: o.signal,
    onProgress: o.onProgress
  }
  const scratch = await crossValidate(db, { ...common, settings: o.settings, name: `transfer: scratch (base model ${baseModelId})`, onRun: (id, r) => o.onRun?.('scratch', id, r) })
  const fineTuned: TransferReport['fineTuned'] = []
  if (scratch.status === 'done') {
    for (const mode of o.modes ?? (['all', 'head'] as FineTuneMode[])) {
      const report = await crossValidate(db, {
        ...common,
        foldPlan: scratch.foldPlan,
        settings: { ...o.settings, ...o.fineTuneSettings },
        init: { modelId: baseModelId, mode },
        parentRunId: scratch.runId,
        name: `transfer: fine-tune ${mode} from model ${baseModelId}`,
        onRun: (id, r) => o.onRun?.(`fine-tune ${mode}`, id, r)
      })
      fineTuned.push({ mode, report })
      if (report.status !== 'done') break
    }
  }
  const status = scratch.status === 'done' && fineTuned.length === (o.modes ?? ['all', 'head']).length && fineTuned.every((f) => f.report.status === 'done') ? 'done' : 'cancelled'
  return { dataset: o.dataset ?? null, baseModelId, foldPlan: scratch.foldPlan, status, scratch, fineTuned }
}

/** Scratch and fine-tuned side by side: overall and per-class figures. */
export function formatTransferReport(t: TransferReport): string {
  const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '-' : `${(v * 100).toFixed(1)}%`)
  // A run with no finished fold has no figures (its zeros would read as results).
  const figure = (r: CrossvalReport, v: number | null | undefined) => (r.overall.total === 0 ? '-' : pct(v))
  const cols: { label: string; r: CrossvalReport }[] = [{ label: 'scratch', r: t.scratch }, ...t.fineTuned.map((f) => ({ label: f.mode === 'all' ? 'fine-tune all' : 'fine-tune head', r: f.report }))]
  const w = 16
  const lines: string[] = []
  const s = t.scratch
  lines.push(`Transfer learning on ${t.dataset ?? 'the selected cells'} (${s.cells} cells, ${s.k} folds "${t.foldPlan}", seed ${s.seed}), base model ${t.baseModelId}; ${s.architecture} at ${s.inputSize} px; backend ${s.backend ?? '?'}`)
  for (const c of cols) {
    lines.push(`  ${c.label}: run ${c.r.runId} (${c.r.status}), ${c.r.settings.epochs} epochs, batch ${c.r.settings.batchSize}, lr ${c.r.settings.learningRate}, ${c.r.folds.length}/${c.r.k} folds, ${formatSeconds(c.r.seconds)}`)
  }
  lines.push('')
  lines.push(`${''.padEnd(22)}${cols.map((c) => c.label.padStart(w)).join('')}`)
  lines.push(`${'accuracy'.padEnd(22)}${cols.map((c) => figure(c.r, c.r.overall.accuracy).padStart(w)).join('')}`)
  lines.push(`${'macro F1'.padEnd(22)}${cols.map((c) => figure(c.r, c.r.overall.macro.f1).padStart(w)).join('')}`)
  lines.push(`${'macro ROC AUC'.padEnd(22)}${cols.map((c) => (c.r.curves.macroRocAuc === null ? '-' : c.r.curves.macroRocAuc.toFixed(3)).padStart(w)).join('')}`)
  s.classes.forEach((cls, i) => {
    lines.push(`${`recall ${cls}`.padEnd(22)}${cols.map((c) => figure(c.r, c.r.overall.perClass[i]?.recall).padStart(w)).join('')}`)
  })
  s.classes.forEach((cls, i) => {
    lines.push(`${`F1 ${cls}`.padEnd(22)}${cols.map((c) => figure(c.r, c.r.overall.perClass[i]?.f1).padStart(w)).join('')}`)
  })
  lines.push(`${'fold accuracy (min-max)'.padEnd(22)}${cols.map((c) => {
    const v = c.r.table10.overall.filter((x): x is number => x !== null)
    return (v.length ? `${pct(Math.min(...v))}-${pct(Math.max(...v))}` : '-').padStart(w)
  }).join('')}`)
  return lines.join('\n')
}
