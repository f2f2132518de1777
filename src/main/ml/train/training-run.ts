// A training run as a record: train one model on a dataset's labelled cells
// (optionally holding out a stratified validation share that is scored every
// epoch), store it as a model, and keep the run resumable: killed and started
// again with the same settings, it continues from its last epoch.
import type { Db } from '../../store/db'
import { runImages, setRunBackend, type RunRow } from '../../store/runs'
import { getDatasetByName } from '../../store/datasets'
import { setDefaultModel } from '../../store/models'
import { stratifiedKFold } from '../../stats/folds'
import type { ClassificationReport } from '../../stats/metrics'
import { WBC_CLASSES } from '../../../shared/cells'
import type { ProgressListener } from '../../../shared/progress'
import { WNET_RECIPE } from '../../imaging/decode'
import { normalisationMetaOf } from '../data/input-normalisation'
import { ARCHITECTURES, DEFAULT_INPUT_SIZE, isArchitecture, type Architecture, type ModelSpec } from '../model/architectures/index'
import { initBackend, type BackendPreference } from '../model/tfjs-backend'
import { loadStoreCells, selectLabelledCells, type StoredCell } from '../data/stored-cells'
import { saveModel } from '../model/registry'
import type { Quantization } from '../model/model-files'
import { configKey, findRunByKey, foldCheckpointDir } from './run-resume'
import { claimRunSession, createOneFoldRun } from './run-session'
import { DEFAULT_SETTINGS, modelFromWeights, train, type EpochRecord, type TrainSettings } from './trainer'

export interface TrainRunOptions {
  dataset?: string
  imageIds?: readonly number[]
  classes?: readonly string[]
  architecture?: Architecture
  inputSize?: number
  seed?: number
  settings?: Partial<Omit<TrainSettings, 'seed'>>
  /** Share of the cells held out (stratified) and scored every epoch; 0 = train on all (default 0). */
  validationShare?: number
  workers?: number
  backend?: BackendPreference
  /** Name of the stored model (default "<architecture> <size>px run N"). */
  modelName?: string
  /** Make the trained model the default one. */
  setDefault?: boolean
  /** Store the model quantised (default float32). */
  quantization?: Quantization
  name?: string
  fresh?: boolean
  checkpointRoot?: string
  signal?: AbortSignal
  onProgress?: ProgressListener
  onRun?: (runId: number, resumed: boolean) => void
}

export interface TrainRunReport {
  runId: number
  status: 'done' | 'cancelled'
  modelId: number | null
  backend: string | null
  architecture: string
  inputSize: number
  settings: Omit<TrainSettings, 'seed'>
  seed: number
  trainCells: number
  validationCells: number
  history: EpochRecord[]
  /** Validation report after the last epoch, when cells were held out. */
  validation: ClassificationReport | null
  resumedFromEpoch: number
  seconds: number
}

/** What a training run is trained with, once planned (its run row created or found). */
export interface TrainRunPlan {
  run: RunRow
  resumed: boolean
  architecture: Architecture
  inputSize: number
  classes: readonly string[]
  seed: number
  settings: Omit<TrainSettings, 'seed'>
}

/** Creates the training run (or finds the unfinished or finished one with the same settings and cells). */
export function planTrainRun(db: Db, o: TrainRunOptions): TrainRunPlan {
  const classes = o.classes ?? WBC_CLASSES
  const architecture = o.architecture ?? 'wnet'
  if (!isArchitecture(architecture)) throw new Error(`unknown architecture ${architecture} (one of ${ARCHITECTURES.join(', ')})`)
  const inputSize = o.inputSize ?? DEFAULT_INPUT_SIZE[architecture]
  const seed = o.seed ?? 1
  const { seed: _s, ...defaults } = DEFAULT_SETTINGS
  const settings: Omit<TrainSettings, 'seed'> = { ...defaults, ...o.settings, adam: { ...defaults.adam, ...o.settings?.adam } }
  const share = o.validationShare ?? 0
  if (share < 0 || share >= 1) throw new Error('validation share must be in [0, 1)')

  const selected = selectLabelledCells(db, { dataset: o.dataset, imageIds: o.imageIds }, classes) as (StoredCell & { labelId: number; class: string })[]
  if (selected.length === 0) throw new Error('no labelled cells of the five classes in that selection')
  let roles: ('train' | 'validation')[] = selected.map(() => 'train')
  if (share > 0) {
    const k = Math.max(2, Math.round(1 / share))
    const folds = stratifiedKFold(selected.map((c) => c.class), { k, seed, ids: selected.map((c) => c.imageId) })
    roles = folds.map((f) => (f === 0 ? 'validation' : 'train'))
  }
  const key = configKey({ kind: 'train', architecture, inputSize, classes, seed, settings, share, cells: selected.map((c) => [c.imageId, c.labelId]) })
  let run: RunRow | undefined = o.fresh ? undefined : findRunByKey(db, 'train', key)
  const resumed = run !== undefined
  if (!run) {
    const datasetId = o.dataset !== undefined ? getDatasetByName(db, o.dataset)?.id ?? null : null
    run = createOneFoldRun(
      db,
      {
        kind: 'train',
        name: o.name ?? '',
        architecture,
        inputSize,
        classes,
        hyperparameters: { ...settings, validationShare: share, workers: o.workers ?? 2, configKey: key },
        seed,
        datasetId
      },
      selected.map((c, i) => ({ imageId: c.imageId, labelId: c.labelId, class: c.class, fold: null, role: roles[i] }))
    )
  }
  return { run, resumed, architecture, inputSize, classes, seed, settings }
}

/** Trains (or resumes) a model on the selected cells and stores it. */
export async function trainRun(db: Db, o: TrainRunOptions): Promise<TrainRunReport> {
  const { run, resumed, architecture, inputSize, classes, seed, settings } = planTrainRun(db, o)
  if (run.status === 'done' && run.metrics) {
    o.onRun?.(run.id, true)
    return run.metrics as TrainRunReport
  }
  const session = claimRunSession(db, run, resumed, o.onRun)
  const runId = run.id
  const dir = foldCheckpointDir(db, runId, 0, o.checkpointRoot)
  try {
    const info = await initBackend(o.backend)
    const images = runImages(db, runId)
    const cells = await loadStoreCells(db, images, { size: inputSize, classes, signal: o.signal, onProgress: o.onProgress })
    const trainIdx: number[] = []
    const valIdx: number[] = []
    images.forEach((im, i) => (im.role === 'validation' ? valIdx : trainIdx).push(i))
    const spec: ModelSpec = { architecture, inputSize, numClasses: classes.length, seed }
    const fold = await session.startFold(0, dir)
    const result = await train({
      spec,
      cells,
      trainIndices: trainIdx,
      validationIndices: valIdx.length ? valIdx : undefined,
      ...settings,
      seed,
      workers: o.workers,
      backend: o.backend,
      checkpointDir: dir,
      signal: o.signal,
      task: 'train',
      onProgress: o.onProgress,
      onEpoch: fold.onEpoch
    })
    const backend = result.backend && !result.backend.startsWith('none') ? result.backend : info.name
    setRunBackend(db, runId, backend)
    const model = modelFromWeights(spec, result.weights)
    const validation = result.history[result.history.length - 1]?.validation ?? null
    const modelId = await saveModel(
      db,
      model,
      { architecture, inputSize, classes: [...classes], preprocessRecipe: WNET_RECIPE, ...normalisationMetaOf(spec), runId, trainedOn: `${trainIdx.length} cells`, settings, seed },
      {
        name: o.modelName ?? `${architecture} ${inputSize}px run ${runId}`,
        provenance: 'run',
        runId,
        quantization: o.quantization,
        metrics: validation ? { validation: { accuracy: validation.accuracy, macroF1: validation.macro.f1, perClass: validation.perClass } } : undefined
      }
    )
    model.dispose()
    if (o.setDefault) setDefaultModel(db, modelId)
    const report: TrainRunReport = {
      runId,
      status: 'done',
      modelId,
      backend,
      architecture,
      inputSize,
      settings,
      seed,
      trainCells: trainIdx.length,
      validationCells: valIdx.length,
      history: result.history,
      validation,
      resumedFromEpoch: fold.resumedFrom,
      seconds: 0
    }
    await session.finishFold(0, dir, { modelId, metrics: { validation } })
    return session.done(report)
  } catch (err) {
    return session.ended(err, (r) => ({
      runId, status: 'cancelled', modelId: null, backend: r.backend, architecture, inputSize, settings, seed,
      trainCells: 0, validationCells: 0, history: [], validation: null, resumedFromEpoch: 0, seconds: r.seconds
    }))
  }
}
