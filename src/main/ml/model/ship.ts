#!/usr/bin/env -S npx tsx
// Shipping the default model (`wbc model ship`): the latest finished epoch of
// a default-model training run (scripts/train-default-model.ts; also while
// that run is still going) becomes a model folder such as
// resources/models/<name>/ (standard tfjs model.json + weights.bin, 8-bit
// weights, the workstation's metadata and its Unidentified calibration), with
// a model card (README.md + card.json beside the model folder) whose every
// figure is measured in this call:
//
// 1. copies <from>/checkpoint/LATEST's epoch folder (weights + state) to a
//    temp folder (the trainer writes each epoch folder under a temp name and
//    renames it, then switches LATEST atomically; a folder dropped while we
//    copy is retried) and builds the float32 model from it;
// 2. evaluates the float32 and the 8-bit model on the held-out files of
//    <from>/split.json only (hashes checked), with `wbc evaluate`'s code
//    (evaluateFolder) on a class-folder tree of links to those files;
// 3. calibrates Unidentified routing with `wbc model calibrate`'s code
//    (calibrateOod) in a temp store: statistics from the split's training
//    cells, WBC rates on its held-out cells, non-WBC rates on pbc-other;
// 4. writes the model folder (via a staging folder, then renamed), README.md
//    and card.json.
//
// The 20 MB limit applies to the model (model.json + weights.bin); the chosen
// score's data file (wbc-ood-<score>.bin, Mahalanobis ~4 MB) ships beside it.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { initBackend } from './tfjs-backend'
import { buildModel, countTrainableParams, type ModelSpec } from './architectures/index'
import { layoutOf } from '../train/replica'
import { modelFromWeights, type EpochRecord, type TrainSettings } from '../train/trainer'
import { modelToArtifacts, writeModelDir, type ModelArtifactsBytes, type ModelMeta } from './model-files'
import { evaluateFolder, type EvaluationReport } from '../infer/evaluate-folder'
import { importModel, OOD_BLOBS, unloadClassifiers } from './registry'
import { calibrateOod, formatSeparationTable } from '../infer/classify-cells'
import type { OodCalibration, OodScoreKind } from '../ood/ood-scores'
import type { StoredCell } from '../data/stored-cells'
import { openStore, findImageIdBySha256, getModel, getModelBlob } from '../../store/index'
import { importPath } from '../../import/index'
import { listClassFolders } from '../data/cell-set'
import { WNET_RECIPE } from '../../imaging/decode'
import { isWbcClass, WBC_CLASSES } from '../../../shared/cells'
import { datasetsDir } from '../../paths'
import { DROPOUT_OFF_LR_FACTOR } from '../../../shared/models'

/** A dataset path as the card shows it: under the datasets folder as $WBC_DATASETS/..., so the card names no machine's folders. */
function datasetsShown(p: string): string {
  const base = datasetsDir(process.cwd())
  const abs = resolve(p)
  return base && abs.startsWith(base + '/') ? `$WBC_DATASETS/${abs.slice(base.length + 1)}` : p
}

export const PBC_ATTRIBUTION =
  'Acevedo A., Merino A., Alférez S., Molina Á., Boldú L., Rodellar J. "A dataset of microscopic peripheral blood cell images for development of automatic recognition systems." Data in Brief 30 (2020) 105474. Mendeley Data, doi:10.17632/snkd93bnjr.1. Licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).'

/** Paper target of issue 3 item 8 (the five-class model). */
export const TARGET = { accuracy: 0.98, basophilRecall: 0.97 }
/** Target of a model with immature granulocytes among its classes (issue 12 item 2). */
export const IG_TARGET = { accuracy: 0.97, igRecall: 0.9 }

/** The accuracy and the one class recall a model with these classes is held to. */
export function targetFor(classes: readonly string[]): { accuracy: number; recallClass: string; recall: number; source: string } {
  return classes.includes('ig')
    ? { accuracy: IG_TARGET.accuracy, recallClass: 'ig', recall: IG_TARGET.igRecall, source: 'the eight-class target' }
    : { accuracy: TARGET.accuracy, recallClass: 'basophil', recall: TARGET.basophilRecall, source: 'the paper target' }
}
/** Largest shipped model (model.json + weights), bytes. */
export const MAX_SHIPPED_BYTES = 20_000_000
/** Largest accepted accuracy difference float32 vs 8-bit, in points. */
export const MAX_QUANT_DIFF_POINTS = 0.5

export interface ShipOptions {
  /** The training output folder (checkpoint/, split.json, train.log). */
  from: string
  /** The model folder to write (replaced as a whole). */
  out: string
  /** Where README.md and card.json go (default: the folder above `out`). */
  cardDir?: string
  /** The dataset(s) the split's paths are relative to (default: split.json's `dataset`, resolved from the working directory); a file is read from the first that has it. */
  data?: string | string[]
  /**
   * Non-WBC objects for the Unidentified calibration (class folders). Not
   * used when the split itself holds out cells of classes other than the five
   * WBC types (the eight-class model): those held-out cells are the non-WBC
   * side, and no object the model trained on is.
   */
  other: string
  /** Share of held-out WBCs the threshold may route to Unidentified (default 0.05). */
  targetWbcRate?: number
  /** Keep the held-out class-folder tree (links) here. */
  heldoutTree?: string
  /** Unidentified score to use (default: the one routing most non-WBC objects at the target rate). */
  score?: OodScoreKind
  /** Model name in the metadata (default: basename of `out`). */
  name?: string
  /** Extra lines for the card's Status section (how a choice was made, what to know). */
  notes?: string[]
  /** Paths shown in the card's commands (default: as given). */
  display?: { from?: string; out?: string; other?: string; data?: string }
  log?: (line: string) => void
}

interface CheckpointState {
  key: string
  spec: ModelSpec
  settings: TrainSettings
  epoch: number
  step: number
  history: EpochRecord[]
}

/** `basophilRecall` is the recall of the class the model's target names (basophil for the five-class model, ig for the eight-class one); the card says which. */
type HistoryRow = { epoch: number; trainLoss: number; trainAccuracy: number; learningRate: number; minutes: number; heldOutAccuracy: number | null; basophilRecall: number | null }

const historyRows = (h: EpochRecord[], recallClass = 'basophil'): HistoryRow[] =>
  h.map((r) => ({
    epoch: r.epoch,
    trainLoss: r.trainLoss,
    trainAccuracy: r.trainAccuracy,
    learningRate: r.learningRate,
    minutes: r.seconds / 60,
    heldOutAccuracy: r.validation?.accuracy ?? null,
    basophilRecall: r.validation?.perClass.find((c) => c.label === recallClass)?.recall ?? null
  }))

interface SplitFile {
  /** One class-folder tree, or several (the eight-class model reads pbc-wbc and pbc-other). */
  dataset?: string | string[]
  seed?: number
  testFraction?: number
  classes?: string[]
  files: { file: string; sha256: string; label: string; set: string }[]
}

type Metrics = Pick<EvaluationReport, 'n' | 'accuracy' | 'macroF1' | 'macroPrecision' | 'macroRecall' | 'perClass' | 'confusion' | 'classes' | 'macroRocAuc'>

export interface ModelCard {
  format: 'wbc-model-card/1'
  name: string
  createdAt: string
  model: { architecture: string; inputSize: number; classes: string[]; preprocessRecipe: string; parameters: number; quantization: 'uint8'; files: Record<string, number>; modelBytes: number; shippedBytes: number; float32WeightBytes: number }
  data: { dataset: string; attribution: string; licence: 'CC BY 4.0'; split: { seed?: number; testFraction?: number; train: number; heldOut: number; perClassHeldOut: Record<string, number> }; other: string; otherCells: number }
  training: {
    checkpoint: string
    epochsTrained: number
    epochsPlanned: number
    steps: number
    settings: TrainSettings
    backend: string | null
    workers: number | null
    history: HistoryRow[]
    /** The run's last epochs, trained with dropout off (settings.dropoutOff; null: dropout on throughout). */
    dropoutOff: { epochs: number; learningRate: number; steps: number; history: HistoryRow[] } | null
  }
  notes: string[]
  evaluation: { backend: string; float32: Metrics; uint8: Metrics; accuracyDiffPoints: number; quantisationOk: boolean }
  ood: OodCalibration & { chosen: string }
  target: { accuracy: number; basophilRecall: number; met: boolean; accuracyMet: boolean; basophilRecallMet: boolean; recallClass?: string }
  commands: Record<string, string>
  seconds: number
}

export interface ShipResult {
  card: ModelCard
  modelDir: string
  readme: string
  cardJson: string
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Copies the latest finished epoch's weights and state out of a checkpoint
 * folder that a running trainer may be replacing. Only complete epoch folders
 * ever carry their final name (train.ts writes `<name>.tmp` and renames it);
 * when the trainer drops the folder mid-copy (it removes older epochs after
 * switching LATEST), the copy starts over from the new LATEST.
 */
export async function copyLatestCheckpoint(dir: string, to: string): Promise<{ name: string; state: CheckpointState; weights: Float32Array }> {
  let lastErr: unknown
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const name = (await readFile(join(dir, 'LATEST'), 'utf8')).trim()
      if (!/^epoch-\d{4}$/.test(name)) throw new Error(`unexpected LATEST pointer "${name}"`)
      await rm(to, { recursive: true, force: true })
      await mkdir(to, { recursive: true })
      for (const f of ['state.json', 'weights.bin']) await copyFile(join(dir, name, f), join(to, f))
      const state = JSON.parse(await readFile(join(to, 'state.json'), 'utf8')) as CheckpointState
      if (`epoch-${String(state.epoch).padStart(4, '0')}` !== name) throw new Error(`${name}/state.json says epoch ${state.epoch}`)
      const b = await readFile(join(to, 'weights.bin'))
      if (b.byteLength % 4 !== 0) throw new Error(`${name}/weights.bin has ${b.byteLength} bytes`)
      return { name, state, weights: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      lastErr = err
      await sleep(500)
    }
  }
  throw new Error(`no readable checkpoint in ${dir}: ${(lastErr as Error)?.message}`)
}

function metricsOf(r: EvaluationReport): Metrics {
  const { n, accuracy, macroF1, macroPrecision, macroRecall, perClass, confusion, classes, macroRocAuc } = r
  return { n, accuracy, macroF1, macroPrecision, macroRecall, perClass, confusion, classes, macroRocAuc }
}

async function folderBytes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const f of (await readdir(dir)).sort()) out[f] = (await stat(join(dir, f))).size
  return out
}

/** The settings line and backend the trainer logged (train.log), if present. */
async function trainLogFacts(from: string): Promise<{ backend: string | null; workers: number | null }> {
  const file = join(from, 'train.log')
  if (!existsSync(file)) return { backend: null, workers: null }
  const text = await readFile(file, 'utf8')
  const backends = [...text.matchAll(/ backend ([^;]+);/g)].map((m) => m[1])
  const workers = [...text.matchAll(/ workers (\d+)/g)].map((m) => Number(m[1]))
  return { backend: backends.at(-1) ?? null, workers: workers.at(-1) ?? null }
}

export async function shipDefaultModel(o: ShipOptions): Promise<ShipResult> {
  const t0 = Date.now()
  const log = o.log ?? (() => {})
  const from = resolve(o.from)
  const out = resolve(o.out)
  const cardDir = resolve(o.cardDir ?? dirname(out))
  const name = o.name ?? basename(out)
  const shown = { from: o.display?.from ?? o.from, out: o.display?.out ?? o.out, other: o.display?.other ?? datasetsShown(o.other) }
  const work = await mkdtemp(join(tmpdir(), 'wbc-ship-'))
  const staging = `${out}.staging`
  try {
    // 1. The latest finished epoch; its last ones may have trained with dropout off (settings.dropoutOff).
    const ck = await copyLatestCheckpoint(join(from, 'checkpoint'), join(work, 'checkpoint'))
    const { state } = ck
    const off = state.settings.dropoutOff
    const dropoutOnEpochs = state.settings.epochs - (off?.epochs ?? 0)
    const stepsPerEpoch = state.epoch > 0 ? state.step / state.epoch : 0
    const onHistory = state.history.filter((h) => h.epoch <= dropoutOnEpochs)
    const offHistory = state.history.filter((h) => h.epoch > dropoutOnEpochs).map((h) => ({ ...h, epoch: h.epoch - dropoutOnEpochs }))
    const epochsTrained = Math.min(state.epoch, dropoutOnEpochs)
    const dropoutOff = off && offHistory.length
      ? { epochs: offHistory.length, learningRate: state.settings.learningRate * off.lrFactor, steps: Math.round(stepsPerEpoch * offHistory.length), history: historyRows(offHistory) }
      : null
    log(`checkpoint ${ck.name}: ${state.epoch} of ${state.settings.epochs} epochs${dropoutOff ? ` (the last ${dropoutOff.epochs} with dropout off)` : ''}, step ${state.step}`)
    const backend = await initBackend()
    const spec = state.spec
    const probe = buildModel(spec)
    const total = layoutOf(probe).total
    const parameters = countTrainableParams(probe)
    probe.dispose()
    if (ck.weights.length !== total) throw new Error(`checkpoint has ${ck.weights.length} weights, ${spec.architecture} ${spec.inputSize}px has ${total}`)
    const model = modelFromWeights(spec, ck.weights)

    const split = JSON.parse(await readFile(join(from, 'split.json'), 'utf8')) as SplitFile
    if (!Array.isArray(split.files)) throw new Error(`${join(from, 'split.json')} has no files list`)
    const classes = split.classes ?? [...WBC_CLASSES]
    if (classes.length !== spec.numClasses) throw new Error(`split.json lists ${classes.length} classes, the model has ${spec.numClasses} outputs`)
    const dataArg = o.data ?? split.dataset
    if (!dataArg || (Array.isArray(dataArg) && !dataArg.length)) throw new Error('split.json names no dataset; pass --data')
    const roots = (Array.isArray(dataArg) ? dataArg : [dataArg]).map((d) => resolve(d))
    const shownData = o.display?.data ?? (Array.isArray(dataArg) ? dataArg : [dataArg]).map(datasetsShown).join(' + ')
    const pathOf = (file: string) => {
      const at = roots.find((r) => existsSync(join(r, file)))
      if (!at) throw new Error(`${file} is in none of ${roots.join(', ')}`)
      return join(at, file)
    }
    const heldOut = split.files.filter((f) => f.set === 'test')
    const trainFiles = split.files.filter((f) => f.set === 'train')
    if (!heldOut.length || !trainFiles.length) throw new Error('split.json needs both train and test files')
    const target = targetFor(classes)
    const extraClasses = classes.filter((c) => !isWbcClass(c))
    // The non-WBC side of the Unidentified figures: the split's own held-out cells of
    // its other classes when it has some (never trained on), else the `other` folders.
    const otherFromSplit = heldOut.some((f) => !isWbcClass(f.label))
    if (dropoutOff) dropoutOff.history = historyRows(offHistory, target.recallClass)

    const baseMeta: ModelMeta = {
      architecture: spec.architecture,
      inputSize: spec.inputSize,
      classes: [...classes],
      preprocessRecipe: WNET_RECIPE,
      name,
      trainedOn: extraClasses.length ? `PBC dataset (Acevedo et al. 2020), five WBC classes and ${extraClasses.join(', ')}` : 'PBC dataset (Acevedo et al. 2020), five WBC classes',
      attribution: PBC_ATTRIBUTION,
      licence: 'training data CC BY 4.0',
      checkpoint: { epoch: epochsTrained, epochsPlanned: dropoutOnEpochs, step: state.step },
      training: {
        ...state.settings,
        split: 'held-out files listed in the training run\'s split.json (set "test")',
        dropoutOff: dropoutOff ? { epochs: dropoutOff.epochs, learningRate: dropoutOff.learningRate, schedule: 'constant' } : null
      }
    }

    // 2. Model files: float32 (temp, reference) and 8-bit (shipped).
    const floatDir = join(work, 'model-float32')
    await writeModelDir(floatDir, await modelToArtifacts(model, baseMeta, 'float32'))
    const q: ModelArtifactsBytes = await modelToArtifacts(model, baseMeta, 'uint8')
    model.dispose()
    await rm(staging, { recursive: true, force: true })
    await writeModelDir(staging, q)
    log(`8-bit weights ${(q.weights.byteLength / 1e6).toFixed(2)} MB (float32 ${((total * 4) / 1e6).toFixed(2)} MB)`)
    const modelBytes = async () => (await stat(join(staging, 'model.json'))).size + (await stat(join(staging, 'weights.bin'))).size
    if ((await modelBytes()) > MAX_SHIPPED_BYTES) throw new Error(`8-bit model is ${await modelBytes()} bytes, over ${MAX_SHIPPED_BYTES}`)

    // 3. Held-out tree: links to the split's test files, hashes checked.
    const tree = o.heldoutTree ? resolve(o.heldoutTree) : join(work, 'heldout')
    await rm(tree, { recursive: true, force: true })
    for (const f of heldOut) {
      const src = pathOf(f.file)
      const bytes = await readFile(src)
      if (createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw new Error(`${src} differs from split.json (sha256)`)
      await mkdir(join(tree, f.label), { recursive: true })
      await symlink(src, join(tree, f.label, basename(f.file)))
    }
    log(`held-out tree: ${heldOut.length} files (hashes match split.json)`)
    const floatReport = await evaluateFolder(tree, { model: floatDir })
    log(`float32 held-out accuracy ${(100 * floatReport.accuracy).toFixed(2)}%`)
    const qReport = await evaluateFolder(tree, { model: staging })
    log(`uint8 held-out accuracy ${(100 * qReport.accuracy).toFixed(2)}%`)
    if (qReport.n !== heldOut.length || floatReport.n !== heldOut.length) throw new Error(`evaluated ${qReport.n} cells, the split holds out ${heldOut.length}`)
    const accuracyDiffPoints = 100 * (floatReport.accuracy - qReport.accuracy)

    // 4. Unidentified calibration with `wbc model calibrate`'s code, in a temp store.
    const db = openStore(join(work, 'store.sqlite'))
    let calibration: OodCalibration
    let chosen: string
    let blobs: Map<string, Uint8Array>
    try {
      const sources: [string, string][] = roots.map((r, i) => [r, i === 0 ? 'pbc-wbc' : basename(r)])
      if (!otherFromSplit) sources.push([resolve(o.other), 'pbc-other'])
      for (const [path, dataset] of sources) {
        const r = await importPath(db, path, { dataset })
        log(`imported ${dataset}: ${r.counts.imported} images (${r.counts.duplicate} duplicates, ${r.counts.failed} failed)`)
      }
      const cells = (files: SplitFile['files']): StoredCell[] =>
        files.map((f) => {
          const imageId = findImageIdBySha256(db, f.sha256)
          if (imageId === undefined) throw new Error(`${f.file} (sha256 ${f.sha256.slice(0, 12)}...) is not in ${roots.join(', ')}`)
          return { imageId, labelId: null, class: f.label }
        })
      const modelId = await importModel(db, staging, { name, provenance: 'shipped' })
      const r = await calibrateOod(db, {
        model: modelId,
        fit: cells(trainFiles),
        wbc: cells(heldOut.filter((f) => isWbcClass(f.label))),
        other: otherFromSplit ? cells(heldOut.filter((f) => !isWbcClass(f.label))) : { dataset: 'pbc-other' },
        targetWbcRate: o.targetWbcRate ?? 0.05,
        score: o.score,
        onProgress: (p) => p.message && log(`calibrate: ${p.message}`)
      })
      calibration = r.calibration
      chosen = r.chosen
      // Only the data the chosen score needs travels (the Mahalanobis statistics alone are ~4 MB at 1024 features).
      blobs = new Map()
      for (const b of OOD_BLOBS) {
        const bytes = b === chosen ? getModelBlob(db, modelId, b) : undefined
        if (bytes) blobs.set(b, bytes)
      }
      if (!getModel(db, modelId)?.calibration) throw new Error('calibration was not stored')
    } finally {
      unloadClassifiers()
      db.close()
    }
    log(`Unidentified: ${chosen} > ${calibration.threshold.toPrecision(6)}`)

    // 5. The shipped folder: same 8-bit weights, metadata with metrics and calibration, OOD data beside it.
    const metrics = { heldOut: { uint8: metricsOf(qReport), float32: metricsOf(floatReport), accuracyDiffPoints } }
    await writeModelDir(staging, { ...q, meta: { ...baseMeta, metrics, calibration } })
    for (const [b, bytes] of blobs) await writeFile(join(staging, `wbc-ood-${b}.bin`), bytes)
    // It must load back as a stored model with its calibration, as the app imports the shipped model.
    const check = openStore(':memory:')
    try {
      const id = await importModel(check, staging, { provenance: 'shipped' })
      const row = getModel(check, id)!
      if (row.quantization !== 'uint8' || JSON.stringify(row.calibration) !== JSON.stringify(calibration)) throw new Error('the shipped folder does not import with its quantisation and calibration')
    } finally {
      check.close()
    }
    const files = await folderBytes(staging)
    const shippedBytes = Object.values(files).reduce((a, b) => a + b, 0)
    const modelFileBytes = await modelBytes()
    if (modelFileBytes > MAX_SHIPPED_BYTES) throw new Error(`shipped model is ${modelFileBytes} bytes, over ${MAX_SHIPPED_BYTES}`)
    await mkdir(dirname(out), { recursive: true })
    await rm(`${out}.old`, { recursive: true, force: true })
    if (existsSync(out)) await rename(out, `${out}.old`)
    await rename(staging, out)
    await rm(`${out}.old`, { recursive: true, force: true })

    // 6. The card.
    const basRecall = qReport.perClass[target.recallClass]?.recall ?? NaN
    const facts = await trainLogFacts(from)
    const perClassHeldOut: Record<string, number> = {}
    for (const f of heldOut) perClassHeldOut[f.label] = (perClassHeldOut[f.label] ?? 0) + 1
    const otherCells = calibration.otherCells + calibration.exposureCells
    const modelRel = shown.out
    const treeShown = o.heldoutTree ?? '<held-out tree>'
    const card: ModelCard = {
      format: 'wbc-model-card/1',
      name,
      createdAt: new Date().toISOString(),
      model: {
        architecture: spec.architecture,
        inputSize: spec.inputSize,
        classes: [...classes],
        preprocessRecipe: WNET_RECIPE,
        parameters,
        quantization: 'uint8',
        files,
        modelBytes: modelFileBytes,
        shippedBytes,
        float32WeightBytes: total * 4
      },
      data: {
        dataset: shownData,
        attribution: PBC_ATTRIBUTION,
        licence: 'CC BY 4.0',
        split: { seed: split.seed, testFraction: split.testFraction, train: trainFiles.length, heldOut: heldOut.length, perClassHeldOut },
        other: otherFromSplit ? `the split's held-out ${extraClasses.join(', ')} cells` : shown.other,
        otherCells
      },
      training: {
        checkpoint: ck.name,
        epochsTrained,
        epochsPlanned: dropoutOnEpochs,
        steps: state.step,
        settings: state.settings,
        backend: facts.backend,
        workers: facts.workers,
        history: historyRows(onHistory, target.recallClass),
        dropoutOff
      },
      notes: o.notes ?? [],
      evaluation: { backend: backend.name, float32: metricsOf(floatReport), uint8: metricsOf(qReport), accuracyDiffPoints, quantisationOk: Math.abs(accuracyDiffPoints) < MAX_QUANT_DIFF_POINTS },
      ood: { ...calibration, chosen },
      target: {
        accuracy: target.accuracy,
        basophilRecall: target.recall,
        recallClass: target.recallClass,
        accuracyMet: qReport.accuracy >= target.accuracy,
        basophilRecallMet: basRecall >= target.recall,
        met: qReport.accuracy >= target.accuracy && basRecall >= target.recall
      },
      commands: {
        ship: `node bin/wbc.js model ship --from ${shown.from} --out ${modelRel}${o.heldoutTree ? ` --heldout-tree ${o.heldoutTree}` : ''}${o.targetWbcRate !== undefined && o.targetWbcRate !== 0.05 ? ` --target ${o.targetWbcRate}` : ''}${o.score ? ` --score ${o.score}` : ''}${(o.notes ?? []).length ? ' --note ...' : ''}`,
        evaluateHeldOut: `node bin/wbc.js evaluate ${treeShown} --model ${modelRel} --json`,
        calibrate:
          `node bin/wbc.js import ${shownData} --dataset pbc-wbc && node bin/wbc.js import ${shown.other} --dataset pbc-other && ` +
          `node bin/wbc.js model import ${modelRel} --name ${name}-recalibrated && ` +
          `node bin/wbc.js model calibrate ${name}-recalibrated --other pbc-other --split ${shown.from}/split.json --target ${o.targetWbcRate ?? 0.05}${o.score ? ` --score ${o.score}` : ''}`,
        train: `nohup npx tsx scripts/train-default-model.ts --out ${shown.from} --epochs ${state.settings.epochs} --dropout-off-epochs ${off?.epochs ?? 0}${off && off.lrFactor !== DROPOUT_OFF_LR_FACTOR ? ` --dropout-off-lr-factor ${off.lrFactor}` : ''} > ${shown.from}/nohup.out 2>&1 &`
      },
      seconds: (Date.now() - t0) / 1000
    }
    await mkdir(cardDir, { recursive: true })
    const cardJson = join(cardDir, 'card.json')
    const readme = join(cardDir, 'README.md')
    await writeFile(cardJson, JSON.stringify(card, null, 1) + '\n')
    await writeFile(readme, renderCard(card, relative(cardDir, out) || '.'))
    // The held-out files by name and hash, so tests can check the shipped model on cells it never saw.
    const heldOutCsv = join(cardDir, `${basename(out)}-heldout.csv`)
    await writeFile(heldOutCsv, 'file,sha256\n' + heldOut.map((f) => `${f.file},${f.sha256}`).join('\n') + '\n')
    log(`wrote ${out}, ${readme}, ${cardJson} in ${card.seconds.toFixed(0)} s`)
    return { card, modelDir: out, readme, cardJson }
  } finally {
    await rm(staging, { recursive: true, force: true })
    await rm(work, { recursive: true, force: true })
  }
}

const pct = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(d)}%`)

function metricsTable(c: ModelCard): string {
  const f = c.evaluation.float32
  const q = c.evaluation.uint8
  const lines = [
    '| class | n | precision (float32) | recall (float32) | F1 (float32) | precision (8-bit) | recall (8-bit) | F1 (8-bit) |',
    '|---|---|---|---|---|---|---|---|'
  ]
  for (const k of q.classes) {
    const a = f.perClass[k]
    const b = q.perClass[k]
    lines.push(`| ${k} | ${b.n} | ${pct(a.precision)} | ${pct(a.recall)} | ${pct(a.f1)} | ${pct(b.precision)} | ${pct(b.recall)} | ${pct(b.f1)} |`)
  }
  lines.push(`| **all** | ${q.n} | accuracy ${pct(f.accuracy)} | | macro F1 ${pct(f.macroF1)} | accuracy ${pct(q.accuracy)} | | macro F1 ${pct(q.macroF1)} |`)
  return lines.join('\n')
}

/** The card's Unidentified section: the detector's figures and the review's default, as the reviewer sees them. */
export function renderRoutingSection(c: Pick<ModelCard, 'ood' | 'data' | 'model'>): string {
  const cal = c.ood
  const extra = c.model.classes.filter((k) => !isWbcClass(k))
  const r = cal.review
  const meaning = extra.length
    ? `This model has ${extra.join(', ')} among its classes, so for it those are not out-of-distribution objects: a held-out
${extra.join(' / ')} cell is handled when it is called as its own class (it then sits in its own group: IG is counted as the
leukocyte it is, erythroblasts are reported per 100 WBC, platelets are not counted) or lands in Unidentified, and it is
misrouted when it is shown, above the threshold, as one of the five normal WBC types. Unidentified is then for objects
of none of the ${c.model.classes.length} kinds (smudge cells, debris, blasts, cells of another stain ...); no such
images are in the datasets, so **how this model routes them is not measured**. The non-WBC figures below are
${c.data.other} (${c.data.otherCells} objects, never trained on).`
    : `Cells that are none of the five types (immature granulocytes, erythroblasts,
platelets in ${c.data.other}: ${c.data.otherCells} objects) should go to Unidentified.`
  const review = r
    ? `### What the reviewer sees: the default Unidentified threshold

A cell is shown in Unidentified when the detector flags it **or** the model's confidence in its call is under
the review threshold. Both were chosen together (src/main/ml/ood/review-routing.ts) on one half of the
held-out cells, to put at most ${pct(r.maxWbcRate, 0)} of normal WBCs in Unidentified while keeping the most
non-WBC objects out of the five WBC groups, and measured on the other half:

| | figure | target |
|---|---|---|
| review default: a call under this confidence is Unidentified | **${r.confidenceThreshold.toFixed(2)}** | |
| detector | ${r.score}, score > ${r.detectorThreshold.toPrecision(6)} | |
| normal WBCs put in Unidentified (${r.wbcCells} held-out WBCs) | **${pct(r.wbcRouted, 1)}** | at most ${pct(r.maxWbcRate, 0)}: ${r.wbcRouted <= r.maxWbcRate ? 'met' : 'NOT met'} |
| non-WBC objects kept out of the five WBC groups (${r.otherCells} objects) | **${pct(r.otherKeptOut, 1)}** (${Object.entries(r.otherKeptOutByClass).map(([k, v]) => `${k} ${pct(v, 1)}`).join(', ')}) | at least ${pct(r.minOtherRate, 0)}: ${r.otherKeptOut >= r.minOtherRate ? 'met' : 'NOT met'} |
| of which in Unidentified | ${pct(r.otherUnidentified, 1)} | |

(Calibration half, where the pair was chosen: ${pct(r.calibrationHalf.wbcRouted, 1)} of WBCs, ${pct(r.calibrationHalf.otherKeptOut, 1)} of non-WBC objects.)
The review screen starts from this threshold unless the lab has set its own (\`wbc review settings --threshold\`).`
    : ''
  return `## Unidentified (out-of-distribution) routing

${meaning}
Calibrated with \`wbc model calibrate\`'s code (src/main/ml/infer/classify-cells.ts, ood.ts):
feature statistics from the ${cal.fitCells} training cells; thresholds are chosen on
one half of the ${cal.wbcCells} held-out WBCs, and every rate
is measured on the other half; ${cal.exposureCells ? `${cal.exposureCells} non-WBC objects were shown to the
outlier-exposure detector and the rates are measured on the other ${cal.otherCells}
(of the same kinds, so its figures do not say how it does on kinds it never saw)` : `no object was shown to an outlier-exposure detector (none was fitted), and the rates are measured on ${cal.otherCells} objects`}.
Default detector: **${cal.chosen}**, threshold ${cal.threshold.toPrecision(6)} (a cell scoring above it is Unidentified).

${review}

Each score alone (the WBC share its threshold was set to: ${pct(cal.targetWbcRate, 2)}; "non-WBC objects routed" counts Unidentified only):

${formatSeparationTable(cal)}`
}

function confusionTable(m: Metrics): string {
  const head = `| true \\ predicted | ${m.classes.join(' | ')} |`
  const sep = `|---|${m.classes.map(() => '---').join('|')}|`
  return [head, sep, ...m.confusion.map((row, i) => `| ${m.classes[i]} | ${row.join(' | ')} |`)].join('\n')
}

export function renderCard(c: ModelCard, modelFolder: string): string {
  const s = c.training.settings
  const sched = s.schedule.kind === 'cosine' ? `cosine decay to x${s.schedule.minFactor ?? 0.01} over the ${s.epochs} planned epochs` : s.schedule.kind === 'step' ? `x${s.schedule.factor} every ${s.schedule.everyEpochs} epochs` : 'constant'
  const finished = c.training.epochsTrained >= c.training.epochsPlanned
  const off = c.training.dropoutOff
  const t = c.target
  const recallClass = t.recallClass ?? 'basophil'
  const basRecall = c.evaluation.uint8.perClass[recallClass]?.recall
  const extra = c.model.classes.filter((k) => !isWbcClass(k))
  const allOff = c.training.epochsPlanned === 0 && off
  const trainingLine = allOff
    ? `every epoch trained with dropout off (dropout layers pass their input through, as at inference): ${off.epochs} of the ${s.epochs} planned, at the constant lr ${off.learningRate}`
    : `with the paper's dropout 0.6 the run ${finished ? `ran all ${c.training.epochsPlanned} planned epochs` : `stopped after epoch ${c.training.epochsTrained} of the ${c.training.epochsPlanned} its learning-rate schedule spans`}${off ? `, then ${off.epochs} epoch(s) with dropout off at lr ${off.learningRate} (see Settings)` : ''}`
  const resumable = allOff ? off.epochs < s.epochs : !finished
  return `# Shipped model: ${c.name}

\`${modelFolder}/\` is ${extra.length ? 'a' : "the workstation's default"} cell classifier${extra.length ? ' the workstation ships beside the five-class one (the user chooses the default: `wbc model default`, or the Models screen)' : ''}: W-Net
(${c.model.architecture}, ${c.model.parameters.toLocaleString('en-US')} trainable parameters), ${c.model.inputSize} x ${c.model.inputSize} px input,
classes ${c.model.classes.join(', ')} (output order), preprocessing \`${c.model.preprocessRecipe}\`
(the importer's central crop and resize; per-image standardisation at inference).
Standard TensorFlow.js layers model (\`model.json\` + \`weights.bin\`, loads with
\`tf.loadLayersModel\`), weights quantised to 8 bits (the tfjs converter's affine
per-tensor uint8 format): the model (\`model.json\` + \`weights.bin\`) is ${(c.model.modelBytes / 1e6).toFixed(2)} MB
(limit ${MAX_SHIPPED_BYTES / 1e6} MB; float32 weights would be ${(c.model.float32WeightBytes / 1e6).toFixed(2)} MB), the whole folder with the data of the
Unidentified score ${(c.model.shippedBytes / 1e6).toFixed(2)} MB (${Object.entries(c.model.files).map(([f, b]) => `${f} ${(b / 1e6).toFixed(2)} MB`).join(', ')}).
The workstation's metadata (classes, input size, recipe, held-out metrics and
the Unidentified calibration) is in \`model.json\` under \`userDefinedMetadata.wbc\`;
\`wbc-ood-<score>.bin\`, when present, holds the data the chosen Unidentified score needs. Every figure below is
in \`card.json\` too, and all were measured by \`wbc model ship\` in the
run that wrote this card (${c.createdAt}, backend ${c.evaluation.backend}, ${c.seconds.toFixed(0)} s).

## Status

- **Training**: ${trainingLine}; ${c.training.steps} steps in all. The weights shipped are the last epoch's.${resumable ? ` The run is resumable: re-running the training command continues it, and re-running \`wbc model ship\` afterwards replaces this model and card.` : ''}${c.notes.map((n) => `\n- ${n}`).join('')}
- **${extra.length ? 'Target' : 'Paper target'} ${t.met ? 'met' : 'NOT met'}** (at least ${pct(t.accuracy, 0)} accuracy${extra.length ? ` over the ${c.model.classes.length} classes` : ''} and ${pct(t.basophilRecall, 0)} ${recallClass} recall on unseen PBC images): held-out accuracy ${pct(c.evaluation.uint8.accuracy)} (${t.accuracyMet ? 'met' : 'not met'}), ${recallClass} recall ${pct(basRecall)} (${t.basophilRecallMet ? 'met' : 'not met'}), 8-bit model.
- **8-bit vs float32**: accuracy differs by ${c.evaluation.accuracyDiffPoints.toFixed(2)} points (float32 ${pct(c.evaluation.float32.accuracy)}, 8-bit ${pct(c.evaluation.uint8.accuracy)}); the requirement is under ${MAX_QUANT_DIFF_POINTS} point: ${c.evaluation.quantisationOk ? 'met' : 'NOT met'}.

## Training data and attribution

Trained on the PBC dataset, five WBC classes (\`pbc-wbc\` of the datasets, a
cleaned development subset listed file by file in \`datasets/pbc-wbc.csv\`; see
\`datasets/README.md\` for how to get it)${extra.length ? `, and ${extra.join(', ')} from the same dataset (\`pbc-other\`, ${extra.map((k) => `${k} ${(c.data.split.perClassHeldOut[k] ?? 0)} held out`).join(', ')})` : ''}:

> ${PBC_ATTRIBUTION}

The model is a work derived from these images; this attribution must be kept
wherever the model is shipped.

Split: seeded (seed ${c.data.split.seed ?? 'n/a'}), stratified per class, ${pct(c.data.split.testFraction ?? NaN, 0)} held out:
${c.data.split.train} training cells, ${c.data.split.heldOut} held-out cells (${Object.entries(c.data.split.perClassHeldOut).map(([k, v]) => `${k} ${v}`).join(', ')}),
listed with SHA-256 hashes in \`${c.name}-heldout.csv\` beside this card (the
training run's \`split.json\` lists both sets). The held-out cells were
never trained on. The trainer reported held-out accuracy after every epoch
(below) for monitoring; the shipped weights are simply the latest finished
epoch, not chosen by held-out accuracy, and no setting was tuned on them.

## Settings

| setting | value |
|---|---|
| architecture | ${c.model.architecture}, ${c.model.inputSize} px, ${c.model.parameters.toLocaleString('en-US')} parameters, seed ${s.seed} |
| epochs trained | ${c.training.epochsTrained} of ${c.training.epochsPlanned} planned |
| batch | ${s.batchSize} |
| optimiser | Adam, lr ${s.learningRate}, beta1 ${s.adam.beta1}, beta2 ${s.adam.beta2}, epsilon ${s.adam.epsilon} |
| lr schedule | ${sched} |
| class balance | ${s.balance === 'sampler' ? 'sampler (each cell drawn from a uniformly chosen class)' : s.balance} |
| augmentation | ${s.augment ? 'random one of the 8 flips / 90-degree rotations per cell' : 'none'} |
| dropout | 0.6 after each pooling layer and the 1024-unit layer (the paper's)${off ? `, on for the first ${c.training.epochsTrained} epochs; off for the last ${off.epochs} (Adam lr ${off.learningRate}, constant; same sampler and augmentation): a network trained with dropout 0.6 classified clearly worse with dropout off, as inference runs, than with it on, and the dropout-off epochs close that gap (docs/ml.md, "Dropout and inference")` : ', on throughout'} |
| backend | ${c.training.backend ?? 'n/a'}, ${c.training.workers ?? 'n/a'} worker threads |

Per epoch (from the checkpoint's history; held-out figures on the same ${c.data.split.heldOut} cells, float32):

| epoch | train loss | train accuracy | lr at end | minutes | held-out accuracy | ${recallClass} recall |
|---|---|---|---|---|---|---|
${[...c.training.history.map((h) => ({ ...h, label: String(h.epoch) })), ...(off?.history ?? []).map((h) => ({ ...h, label: allOff ? `${h.epoch} (dropout off)` : `${c.training.epochsTrained} + ${h.epoch} (dropout off)` }))].map((h) => `| ${h.label} | ${h.trainLoss.toFixed(4)} | ${pct(h.trainAccuracy)} | ${h.learningRate.toExponential(2)} | ${h.minutes.toFixed(1)} | ${pct(h.heldOutAccuracy)} | ${pct(h.basophilRecall)} |`).join('\n')}

(Train loss and accuracy are measured during each epoch on the class-balanced, augmented batches, with dropout on except in the dropout-off epochs.)

## Held-out metrics (${c.evaluation.uint8.n} cells never trained on)

${metricsTable(c)}

Macro precision / recall: float32 ${pct(c.evaluation.float32.macroPrecision)} / ${pct(c.evaluation.float32.macroRecall)}, 8-bit ${pct(c.evaluation.uint8.macroPrecision)} / ${pct(c.evaluation.uint8.macroRecall)}.
Accuracy difference float32 - 8-bit: ${c.evaluation.accuracyDiffPoints.toFixed(2)} points.

Confusion matrix, 8-bit (shipped) model:

${confusionTable(c.evaluation.uint8)}

Confusion matrix, float32 model:

${confusionTable(c.evaluation.float32)}

${renderRoutingSection(c)}

## Commands that produce these figures

- Everything on this page (model folder, card.json, this file): \`${c.commands.ship}\`
- The held-out metrics of the shipped model alone: \`${c.commands.evaluateHeldOut}\`, where the tree holds the split's \`"set": "test"\` files in class folders (\`wbc model ship --heldout-tree DIR\` writes it).
- The Unidentified figures with the CLI (same code and defaults, in the store \`--db\` / \`WBC_DB\` points at): \`${c.commands.calibrate}\`
- Training (resumes from the last finished epoch): \`${c.commands.train}\`

\`wbc evaluate $WBC_DATASETS/pbc-wbc\` also runs with this model, but that
folder includes the training cells: only the held-out figures above measure it
on unseen images.
`
}

export interface RecalibrateOptions {
  /** The shipped model folder (model.json + weights.bin + wbc-ood-*.bin); its weights are not touched. */
  modelDir: string
  /** The cells it was measured on, never trained on: a split.json ("test" files) or a CSV with a sha256 column (`<name>-heldout.csv`). */
  heldOut: string
  /** Its training data (class folders); every cell there not held out is a training cell. */
  data: string[]
  /** Non-WBC objects (class folders), unless the held-out list has cells of other classes. */
  other: string
  /** Where card.json and README.md are (their Unidentified part is replaced); none: only the model folder. */
  cardDir?: string
  /** The most held-out WBCs Unidentified may take (detector and review threshold together), default 0.05. */
  targetWbcRate?: number
  display?: { data?: string; other?: string; heldOut?: string; modelDir?: string; cardDir?: string }
  log?: (line: string) => void
}

/**
 * Re-measures a shipped model's Unidentified routing with `wbc model
 * calibrate`'s code, choosing the detector and the review default together
 * (ood/review-routing.ts), without retraining or re-quantising: the new
 * calibration goes into model.json's metadata, the chosen score's data file
 * replaces the old, and the card's Unidentified section and card.json's
 * `ood` are rewritten with the figures of this run. For a model whose
 * training run is gone (the checkpoint `wbc model ship` needs).
 */
export async function recalibrateShippedModel(o: RecalibrateOptions): Promise<{ calibration: OodCalibration; chosen: string; seconds: number }> {
  const t0 = Date.now()
  const log = o.log ?? (() => {})
  const modelDir = resolve(o.modelDir)
  const modelJson = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as { userDefinedMetadata?: { wbc?: Record<string, unknown> } }
  const meta = modelJson.userDefinedMetadata?.wbc
  if (!meta) throw new Error(`${modelDir}/model.json has no workstation metadata`)
  const classes = (meta.classes as string[] | undefined) ?? [...WBC_CLASSES]
  const text = await readFile(resolve(o.heldOut), 'utf8')
  const held = new Set<string>(
    o.heldOut.endsWith('.json')
      ? (JSON.parse(text) as SplitFile).files.filter((f) => f.set === 'test').map((f) => f.sha256)
      : (() => {
          const [header, ...rows] = text.split(/\r?\n/).filter(Boolean)
          const col = header!.split(',').indexOf('sha256')
          if (col < 0) throw new Error(`${o.heldOut} has no sha256 column`)
          return rows.map((r) => r.split(',')[col]!)
        })()
  )
  const work = await mkdtemp(join(tmpdir(), 'wbc-recalibrate-'))
  const db = openStore(join(work, 'store.sqlite'))
  try {
    // Every file of the model's classes in the data folders, by hash: held out or a training cell.
    type Cell = StoredCell & { class: string; sha256: string }
    const cells: Cell[] = []
    for (const root of o.data) {
      const r = await importPath(db, resolve(root), { dataset: basename(resolve(root)) })
      log(`imported ${root}: ${r.counts.imported} images`)
      for (const f of await listClassFolders(resolve(root), classes)) {
        const sha256 = createHash('sha256').update(await readFile(f.path)).digest('hex')
        const imageId = findImageIdBySha256(db, sha256)
        if (imageId === undefined) throw new Error(`${f.path} was not imported`)
        cells.push({ imageId, labelId: null, class: classes[f.label]!, sha256 })
      }
    }
    const fit = cells.filter((c) => !held.has(c.sha256))
    const heldCells = cells.filter((c) => held.has(c.sha256))
    if (heldCells.length !== held.size) throw new Error(`the held-out list names ${held.size} cells, ${heldCells.length} of them are in ${o.data.join(', ')}`)
    const wbc = heldCells.filter((c) => isWbcClass(c.class))
    const otherHeld = heldCells.filter((c) => !isWbcClass(c.class))
    if (!otherHeld.length) {
      const r = await importPath(db, resolve(o.other), { dataset: 'other' })
      log(`imported ${o.other}: ${r.counts.imported} images`)
    }
    const asStored = (list: Cell[]): StoredCell[] => list.map((c) => ({ imageId: c.imageId, labelId: null, class: c.class }))
    const modelId = await importModel(db, modelDir, { provenance: 'shipped' })
    const r = await calibrateOod(db, {
      model: modelId,
      fit: asStored(fit),
      wbc: asStored(wbc),
      other: otherHeld.length ? asStored(otherHeld) : { dataset: 'other' },
      targetWbcRate: o.targetWbcRate ?? 0.05,
      onProgress: (p) => p.message && log(`calibrate: ${p.message}`)
    })
    const bytes = getModelBlob(db, modelId, r.chosen)
    // The folder: metadata and the chosen score's data; the weights stay byte for byte.
    meta.calibration = r.calibration
    await writeFile(join(modelDir, 'model.json'), JSON.stringify(modelJson))
    for (const b of OOD_BLOBS) await rm(join(modelDir, `wbc-ood-${b}.bin`), { force: true })
    if (bytes) await writeFile(join(modelDir, `wbc-ood-${r.chosen}.bin`), bytes)
    const check = openStore(':memory:')
    try {
      const id = await importModel(check, modelDir, { provenance: 'shipped' })
      if (JSON.stringify(getModel(check, id)?.calibration) !== JSON.stringify(r.calibration)) throw new Error('the recalibrated folder does not import with its calibration')
    } finally {
      check.close()
    }
    if (o.cardDir) {
      const cardJson = join(resolve(o.cardDir), 'card.json')
      const readme = join(resolve(o.cardDir), 'README.md')
      const card = JSON.parse(await readFile(cardJson, 'utf8')) as ModelCard
      card.ood = { ...r.calibration, chosen: r.chosen }
      card.data.otherCells = r.calibration.otherCells + r.calibration.exposureCells
      const shown = o.display ?? {}
      card.commands.recalibrate =
        `node bin/wbc.js model recalibrate ${shown.modelDir ?? o.modelDir} --heldout ${shown.heldOut ?? o.heldOut} ${(shown.data ? [shown.data] : o.data).map((d) => `--data ${d}`).join(' ')} --other ${shown.other ?? o.other}` +
        `${o.cardDir ? ` --card-dir ${shown.cardDir ?? o.cardDir}` : ''} --target ${o.targetWbcRate ?? 0.05}`
      await writeFile(cardJson, JSON.stringify(card, null, 1) + '\n')
      const md = await readFile(readme, 'utf8')
      const start = md.indexOf('## Unidentified (out-of-distribution) routing')
      const end = md.indexOf('## Commands that produce these figures')
      if (start < 0 || end < start) throw new Error(`${readme} has no Unidentified section to replace`)
      const section = `${renderRoutingSection(card)}\n\nThese Unidentified figures were re-measured on ${card.ood.createdAt.slice(0, 10)} by \`${card.commands.recalibrate}\` (same weights; the detector and the review default chosen together).\n\n`
      await writeFile(readme, md.slice(0, start) + section + md.slice(end))
      log(`rewrote ${readme} and ${cardJson}`)
    }
    return { calibration: r.calibration, chosen: r.chosen, seconds: (Date.now() - t0) / 1000 }
  } finally {
    unloadClassifiers()
    db.close()
    await rm(work, { recursive: true, force: true })
  }
}
