// The site-adaptation service: the rules an adaptation request must pass
// before any work starts (the dataset exists, the base model is one the
// workstation can retrain, one training at a time is the models service's),
// the run itself (the ML core's adaptToSite, loaded only when work starts),
// and its report in the contract's terms. `wbc adapt`, the adaptation job and
// the Models screen's "Adapt to this site" all go through here.
import type { AdaptationFigures, AdaptJobResult, InputNormalisation } from '../../shared/models'
import type { ProgressListener } from '../../shared/progress'
import type { Db } from '../store'
import type { ClassificationReport } from '../stats/metrics'
import type { AdaptReport } from '../ml/train/site-adaptation'
import { requireDataset, requireRetrainable } from './models'

/** What a request to adapt names (the contract's validated input). */
export interface AdaptRequest {
  dataset: string
  /** A stored model id; absent: the default model. */
  baseModelId?: number
  modelName?: string
  setDefault?: boolean
  /** Epochs instead of the recipe's (a quick trial, a test). */
  epochs?: number
  /** Learning rate instead of the recipe's. */
  learningRate?: number
  /** Input colour normalisation instead of the recipe's ('grey-world'); the adapted model carries it. */
  inputNormalisation?: InputNormalisation
  /** Learn only from cells of signed slides (labels a verifier signed for), not from work in progress. */
  signedSlidesOnly?: boolean
}

/** Refuses a request that cannot run (unknown dataset, a base model the workstation cannot retrain). */
export function requireAdaptable(db: Db, p: AdaptRequest): void {
  requireDataset(db, p.dataset)
  if (p.baseModelId !== undefined) requireRetrainable(db, p.baseModelId)
}

function figures(r: ClassificationReport | null): AdaptationFigures | null {
  if (!r) return null
  return { accuracy: r.total ? r.accuracy : null, recall: r.perClass.map((c) => (c.support ? c.recall : null)), cells: r.total }
}

/** The core's report as the contract's result. */
export function adaptationResult(r: AdaptReport): AdaptJobResult {
  return {
    runId: r.runId,
    status: r.status,
    dataset: r.dataset,
    baseModel: r.baseModel,
    modelId: r.modelId,
    modelName: r.modelName,
    classes: r.classes,
    inputSize: r.inputSize,
    // Runs stored before the recipe named it trained without one.
    inputNormalisation: r.recipe.inputNormalisation ?? 'none',
    // Runs stored before the option existed learnt from every person's label.
    signedSlidesOnly: r.signedSlidesOnly ?? false,
    siteCells: r.siteCells,
    referenceCells: r.referenceCells,
    before: { site: figures(r.before.site) ?? { accuracy: null, recall: [], cells: 0 }, reference: figures(r.before.reference) },
    after: r.after ? { site: figures(r.after.site)!, reference: figures(r.after.reference) } : null,
    isDefault: r.isDefault
  }
}

/**
 * Adapts a model to a site's cells (resumable: the same request again
 * continues an unfinished run). `from` may also be a model name or folder
 * (the CLI's --from).
 */
export async function adaptModelToSite(
  db: Db,
  p: AdaptRequest & { from?: string; workers?: number; signal?: AbortSignal; onProgress?: ProgressListener; onRun?: (runId: number, resumed: boolean) => void }
): Promise<{ report: AdaptReport; result: AdaptJobResult }> {
  requireAdaptable(db, p)
  // Loaded here: checking a request never pays for TensorFlow.js.
  const { adaptToSite } = await import('../ml/train/site-adaptation')
  const report = await adaptToSite(db, {
    dataset: p.dataset,
    signedSlidesOnly: p.signedSlidesOnly === true,
    from: p.baseModelId ?? p.from,
    modelName: p.modelName,
    setDefault: p.setDefault,
    recipe: { ...(p.epochs !== undefined ? { epochs: p.epochs } : {}), ...(p.learningRate !== undefined ? { learningRate: p.learningRate } : {}), ...(p.inputNormalisation !== undefined ? { inputNormalisation: p.inputNormalisation } : {}) },
    workers: p.workers,
    signal: p.signal,
    onProgress: p.onProgress,
    onRun: p.onRun
  })
  return { report, result: adaptationResult(report) }
}
