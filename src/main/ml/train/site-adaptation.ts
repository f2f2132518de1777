// Site adaptation: a model fine-tuned on one laboratory's own labelled cells
// (its analyser, stain and focus), with a stratified part of them held out,
// and the evidence a lab needs before it trusts the result: accuracy on those
// held-out site cells before and after, and on PBC reference cells (did the
// model forget what it knew?). The adapted model is stored beside its base;
// it becomes the default only when the caller asks (setDefault), never by
// itself.
//
// The recipe (ADAPT_RECIPE, measured in docs/ml-results.md, "Site
// adaptation") fine-tunes all layers on grey-world colour-normalised cells
// with stain, blur and scale jitter and replays a few PBC cells per class
// among the site's, so the PBC features are kept while the network learns the
// new site. The adapted model carries its normalisation (its metadata), so
// it runs with it wherever it is used.
//
// The PBC reference cells ship with the workstation (resources/reference-cells,
// PBC dataset, CC BY 4.0): `check/` holds cells the shipped model never trained
// on (its card's held-out list), used only to measure; `replay/` holds others,
// used only to train. A run is resumable like every training run: the same
// request again continues from the last finished epoch.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Db } from '../../store/db'
import { runImages, setRunBackend } from '../../store/runs'
import { getDatasetByName } from '../../store/datasets'
import { getModel, setDefaultModel } from '../../store/models'
import { CoreError } from '../../errors'
import { stratifiedKFold } from '../../stats/folds'
import { reportFromConfusion, type ClassificationReport } from '../../stats/metrics'
import type { ProgressListener } from '../../../shared/progress'
import { isArchitecture, type ModelSpec } from '../model/architectures/index'
import { initBackend, type BackendPreference } from '../model/tfjs-backend'
import { loadStoredClassifier, resolveStoredModel, saveModel } from '../model/registry'
import { Classifier } from '../infer/classifier'
import { listClassFolders, loadCells, type CellSet } from '../data/cell-set'
import { loadStoreCells, selectSiteLabelledCells } from '../data/stored-cells'
import type { SiteAugment } from '../data/site-augment'
import type { InputNormalisation } from '../data/input-normalisation'
import { initialWeightsFrom, headOnlyFrozen } from './cross-validation'
import { configKey, findRunByKey, foldCheckpointDir } from './run-resume'
import { claimRunSession, createOneFoldRun } from './run-session'
import { modelFromWeights, train } from './trainer'

/** How a site adaptation trains. */
export interface AdaptRecipe {
  epochs: number
  batchSize: number
  learningRate: number
  /** The last epochs train with dropout off at learningRate x 0.2 (docs/ml.md, "Dropout and inference"). */
  dropoutOffEpochs: number
  siteAugment: SiteAugment
  /** PBC reference cells per class trained on among the site's (against forgetting); 0 for none. */
  replayPerClass: number
  /** 'all' layers, or the dense 'head' only. */
  tune: 'all' | 'head'
  /**
   * The adapted model's input colour normalisation (../data/input-normalisation.ts),
   * whatever its base's: it trains on, is scored on and carries it.
   */
  inputNormalisation: InputNormalisation
}

/** The measured recipe (docs/ml-results.md, "Site adaptation"). */
export const ADAPT_RECIPE: AdaptRecipe = {
  epochs: 30,
  batchSize: 8,
  learningRate: 1e-3,
  dropoutOffEpochs: 1,
  siteAugment: { stain: 0.1, blur: 1.5, scale: 0.2 },
  replayPerClass: 40,
  tune: 'all',
  // Grey-world inputs: 59.2% vs 49.0% on Chula cells never trained on, PBC 77.0% vs 78.3% (32 px, 3 folds; docs/ml-results.md).
  inputNormalisation: 'grey-world'
}

export interface AdaptOptions {
  /** The site's labelled cells (a dataset; its reviewed or imported labels, never the model's own calls). */
  dataset: string
  /** Only cells of signed slides (labels a verifier signed for). */
  signedSlidesOnly?: boolean
  /** The model to adapt: a stored id or name, or a model folder (default: the default model). */
  from?: string | number
  modelName?: string
  /** Share of the site's cells held out, stratified (default 0.2). */
  heldOutShare?: number
  recipe?: Partial<AdaptRecipe>
  seed?: number
  /** Make the adapted model the default (only when asked). */
  setDefault?: boolean
  /** The PBC reference cells (a folder with check/ and replay/ class folders); default the bundled set. */
  referenceDir?: string
  workers?: number
  backend?: BackendPreference
  fresh?: boolean
  checkpointRoot?: string
  signal?: AbortSignal
  onProgress?: ProgressListener
  onRun?: (runId: number, resumed: boolean) => void
}

/** Accuracy on the site's held-out cells and on the PBC reference cells. */
export interface AdaptScores {
  site: ClassificationReport
  reference: ClassificationReport | null
}

export interface AdaptReport {
  runId: number
  status: 'done' | 'cancelled'
  dataset: string
  baseModel: { id: number; name: string }
  modelId: number | null
  modelName: string | null
  inputSize: number
  classes: string[]
  recipe: AdaptRecipe
  /** The site's cells came from signed slides only. */
  signedSlidesOnly: boolean
  siteCells: { train: number; heldOut: number }
  referenceCells: { replay: number; check: number }
  before: AdaptScores
  after: AdaptScores | null
  isDefault: boolean
  seconds: number
}

/** The bundled PBC reference cells: $WBC_RESOURCES/reference-cells/pbc-wbc, else the checkout's resources/. */
export function referenceCellsPath(env: Record<string, string | undefined> = process.env): string | undefined {
  const root = env.WBC_RESOURCES
    ? resolve(env.WBC_RESOURCES, 'reference-cells', 'pbc-wbc')
    : fileURLToPath(new URL('../../../../resources/reference-cells/pbc-wbc', import.meta.url))
  return existsSync(join(root, 'check')) ? root : undefined
}

function scoresOf(clf: Classifier, cells: CellSet, indices: number[], classes: readonly string[]): ClassificationReport | null {
  if (!indices.length) return null
  const p = clf.predict(cells.pixels, { indices }).probabilities
  const C = classes.length
  const confusion = classes.map(() => new Array<number>(C).fill(0))
  indices.forEach((i, j) => {
    let best = 0
    for (let c = 1; c < C; c++) if (p[j * C + c] > p[j * C + best]) best = c
    confusion[cells.labels[i]][best]++
  })
  return reportFromConfusion(confusion, classes)
}

/** Site, replay and check cells in one shared cell set (the trainer's workers read it without copies). */
function concatCells(parts: CellSet[], size: number, classes: readonly string[]): CellSet {
  const total = parts.reduce((a, p) => a + p.labels.length, 0)
  const per = size * size * 3
  const pixels = new Uint8Array(new SharedArrayBuffer(total * per))
  const labels = new Int32Array(new SharedArrayBuffer(total * 4))
  let n = 0
  for (const p of parts) {
    pixels.set(p.pixels, n * per)
    labels.set(p.labels, n)
    n += p.labels.length
  }
  return { pixels, labels, size, classes }
}

/** Fine-tunes a model on a site's labelled cells and reports before / after (resumable). */
export async function adaptToSite(db: Db, o: AdaptOptions): Promise<AdaptReport> {
  const baseId = typeof o.from === 'number' ? o.from : await resolveStoredModel(db, o.from === undefined ? undefined : String(o.from))
  const base = getModel(db, baseId)!
  if (!isArchitecture(base.architecture)) throw new CoreError('invalid_input', `model ${baseId} is a ${base.architecture} network, which the workstation cannot retrain`)
  const ds = getDatasetByName(db, o.dataset)
  if (!ds) throw new CoreError('not_found', `dataset "${o.dataset}"`)
  const classes = base.classes
  const recipe: AdaptRecipe = { ...ADAPT_RECIPE, ...o.recipe, siteAugment: { ...ADAPT_RECIPE.siteAugment, ...o.recipe?.siteAugment } }
  if (recipe.dropoutOffEpochs > recipe.epochs) throw new CoreError('invalid_input', 'dropout-off epochs cannot exceed the epochs')
  const share = o.heldOutShare ?? 0.2
  if (!(share > 0 && share < 1)) throw new CoreError('invalid_input', 'the held-out share must be between 0 and 1')
  const seed = o.seed ?? 1

  const signedSlidesOnly = o.signedSlidesOnly === true
  const selected = selectSiteLabelledCells(db, { dataset: o.dataset }, classes, { signedSlidesOnly })
  const k = Math.max(2, Math.round(1 / share))
  if (selected.length < 2 * k) throw new CoreError('invalid_input', `dataset "${o.dataset}" has ${selected.length} labelled cells of the model's classes; ${signedSlidesOnly ? ' on signed slides' : ''}; adaptation needs at least ${2 * k}`)
  const folds = stratifiedKFold(selected.map((c) => c.class), { k, seed, ids: selected.map((c) => c.imageId) })
  const roles = folds.map((f) => (f === 0 ? ('validation' as const) : ('train' as const)))

  const refRoot = o.referenceDir ?? referenceCellsPath()
  const replayFiles = refRoot && recipe.replayPerClass > 0 ? await listClassFolders(join(refRoot, 'replay'), classes) : []
  const replayPick = classes.flatMap((_, c) => replayFiles.filter((f) => f.label === c).slice(0, recipe.replayPerClass))
  const checkFiles = refRoot ? await listClassFolders(join(refRoot, 'check'), classes) : []

  const key = configKey({ kind: 'adapt', baseId, dataset: ds.id, classes, seed, share, recipe, replay: replayPick.map((f) => f.relative), cells: selected.map((c) => [c.imageId, c.labelId]) })
  let run = o.fresh ? undefined : findRunByKey(db, 'finetune', key)
  const resumed = run !== undefined
  if (run?.status === 'done' && run.metrics) {
    o.onRun?.(run.id, true)
    const done = run.metrics as AdaptReport
    return { ...done, isDefault: done.modelId !== null && getModel(db, done.modelId)?.isDefault === true }
  }
  if (!run) {
    run = createOneFoldRun(
      db,
      {
        kind: 'finetune',
        name: `adapt ${base.name} to ${o.dataset}`,
        architecture: base.architecture,
        inputSize: base.inputSize,
        classes,
        hyperparameters: { adaptation: true, ...recipe, heldOutShare: share, replayCells: replayPick.length, workers: o.workers ?? 2, configKey: key },
        seed,
        datasetId: ds.id,
        baseModelId: baseId
      },
      selected.map((c, i) => ({ imageId: c.imageId, labelId: c.labelId, class: c.class, fold: null, role: roles[i] }))
    )
  }
  const session = claimRunSession(db, run, resumed, o.onRun)
  const runId = run.id
  const dir = foldCheckpointDir(db, runId, 0, o.checkpointRoot)
  const size = base.inputSize
  try {
    const info = await initBackend(o.backend)
    const images = runImages(db, runId)
    const site = await loadStoreCells(db, images, { size, classes, signal: o.signal, onProgress: o.onProgress })
    const replay = await loadCells(replayPick, size, { classes })
    const check = await loadCells(checkFiles, size, { classes })
    const cells = concatCells([site, replay, check], size, classes)
    const nSite = site.labels.length
    const trainIdx: number[] = []
    const heldIdx: number[] = []
    images.forEach((im, i) => (im.role === 'validation' ? heldIdx : trainIdx).push(i))
    for (let i = 0; i < replay.labels.length; i++) trainIdx.push(nSite + i)
    const checkIdx = Array.from({ length: check.labels.length }, (_, i) => nSite + replay.labels.length + i)
    if (!trainIdx.length || !heldIdx.length) throw new CoreError('invalid_input', 'too few cells to hold some out')

    o.onProgress?.({ task: 'adapt', done: 0, total: 0, message: `run ${runId}: scoring ${base.name} before adaptation` })
    const baseClf = await loadStoredClassifier(db, baseId)
    const before: AdaptScores = { site: scoresOf(baseClf, cells, heldIdx, classes)!, reference: scoresOf(baseClf, cells, checkIdx, classes) }

    const spec: ModelSpec = {
      architecture: base.architecture, inputSize: size, numClasses: classes.length, seed,
      ...(recipe.inputNormalisation !== 'none' ? { inputNormalisation: recipe.inputNormalisation } : {})
    }
    const initial = await initialWeightsFrom(db, baseId, spec)
    const fold = await session.startFold(0, dir)
    const result = await train({
      spec,
      cells,
      trainIndices: trainIdx,
      validationIndices: heldIdx,
      epochs: recipe.epochs,
      batchSize: recipe.batchSize,
      learningRate: recipe.learningRate,
      schedule: { kind: 'cosine' },
      balance: 'sampler',
      augment: true,
      siteAugment: recipe.siteAugment,
      ...(recipe.dropoutOffEpochs > 0 ? { dropoutOff: { epochs: recipe.dropoutOffEpochs, lrFactor: 0.2 } } : {}),
      seed,
      initialWeights: initial,
      frozen: recipe.tune === 'head' ? headOnlyFrozen(spec) : undefined,
      workers: o.workers,
      backend: o.backend,
      checkpointDir: dir,
      signal: o.signal,
      task: 'adapt',
      onProgress: o.onProgress,
      onEpoch: fold.onEpoch
    })
    setRunBackend(db, runId, result.backend && !result.backend.startsWith('none') ? result.backend : info.name)
    o.onProgress?.({ task: 'adapt', done: 0, total: 0, message: `run ${runId}: scoring the adapted model` })
    const model = modelFromWeights(spec, result.weights)
    const meta = { architecture: base.architecture, inputSize: size, classes: [...classes], preprocessRecipe: base.preprocessRecipe, inputNormalisation: recipe.inputNormalisation, runId, trainedOn: `${trainIdx.length - replay.labels.length} cells of ${o.dataset} + ${replay.labels.length} PBC reference cells, from model ${baseId}`, seed }
    const clf = new Classifier(model, meta)
    const after: AdaptScores = { site: scoresOf(clf, cells, heldIdx, classes)!, reference: scoresOf(clf, cells, checkIdx, classes) }
    const modelName = o.modelName ?? `${base.name} adapted to ${o.dataset} (run ${runId})`
    const modelId = await saveModel(db, model, meta, {
      name: modelName,
      provenance: 'run',
      runId,
      metrics: {
        validation: { accuracy: after.site.accuracy, macroF1: after.site.macro.f1, perClass: after.site.perClass },
        adaptation: { baseModelId: baseId, dataset: o.dataset, before: { site: before.site.accuracy, reference: before.reference?.accuracy ?? null }, after: { site: after.site.accuracy, reference: after.reference?.accuracy ?? null } }
      }
    })
    clf.dispose()
    if (o.setDefault) setDefaultModel(db, modelId)
    const report: AdaptReport = {
      runId, status: 'done', dataset: o.dataset, baseModel: { id: baseId, name: base.name }, modelId, modelName, inputSize: size, classes: [...classes], recipe, signedSlidesOnly,
      siteCells: { train: trainIdx.length - replay.labels.length, heldOut: heldIdx.length },
      referenceCells: { replay: replay.labels.length, check: check.labels.length },
      before, after, isDefault: o.setDefault === true, seconds: 0
    }
    await session.finishFold(0, dir, { modelId, metrics: { validation: after.site, resumedFromEpoch: fold.resumedFrom } })
    // `validation` is the runs list's headline (the held-out site cells after adaptation).
    return session.done(report, (r) => ({ ...r, validation: after.site }))
  } catch (err) {
    return session.ended(err, (r) => ({
      runId, status: 'cancelled', dataset: o.dataset, baseModel: { id: baseId, name: base.name }, modelId: null, modelName: null, inputSize: size, classes: [...classes], recipe, signedSlidesOnly,
      siteCells: { train: 0, heldOut: 0 }, referenceCells: { replay: 0, check: 0 },
      before: { site: reportFromConfusion([], []), reference: null }, after: null, isDefault: false, seconds: r.seconds
    }))
  }
}

/** The before / after table a person reads (the CLI's output; the Models screen shows the same figures). */
export function formatAdaptReport(r: AdaptReport): string {
  const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '-' : `${(v * 100).toFixed(1)}%`)
  const lines: string[] = []
  lines.push(`Site adaptation of model ${r.baseModel.id} (${r.baseModel.name}) to ${r.dataset}: run ${r.runId} (${r.status}), ${r.inputSize} px`)
  lines.push(`  ${r.siteCells.train} site cells${r.signedSlidesOnly ? ' of signed slides' : ''} trained on, ${r.siteCells.heldOut} held out (stratified); ${r.referenceCells.replay} PBC reference cells replayed, ${r.referenceCells.check} checked`)
  lines.push(`  recipe: ${r.recipe.epochs} epochs (last ${r.recipe.dropoutOffEpochs} dropout off), batch ${r.recipe.batchSize}, lr ${r.recipe.learningRate} cosine, tune ${r.recipe.tune}, stain ${r.recipe.siteAugment.stain ?? 0}, blur ${r.recipe.siteAugment.blur ?? 0}, scale ${r.recipe.siteAugment.scale ?? 0}, input colour normalisation ${r.recipe.inputNormalisation ?? 'none'}`)
  const after = r.after
  if (r.status !== 'done' || !after) return lines.join('\n')
  lines.push('')
  lines.push(`${''.padEnd(30)}${'before'.padStart(10)}${'after'.padStart(10)}`)
  lines.push(`${`${r.dataset} held-out accuracy`.padEnd(30)}${pct(r.before.site.accuracy).padStart(10)}${pct(after.site.accuracy).padStart(10)}`)
  r.classes.forEach((c, i) => {
    lines.push(`${`  recall ${c}`.padEnd(30)}${pct(r.before.site.perClass[i]?.recall).padStart(10)}${pct(after.site.perClass[i]?.recall).padStart(10)}`)
  })
  lines.push(`${'PBC reference accuracy'.padEnd(30)}${pct(r.before.reference?.accuracy).padStart(10)}${pct(after.reference?.accuracy).padStart(10)}`)
  lines.push('')
  lines.push(r.isDefault ? `model ${r.modelId} is now the default` : `stored as model ${r.modelId} (${r.modelName}); not the default: make it so with \`wbc model default ${r.modelId}\``)
  return lines.join('\n')
}
