// Training a stored generator: creates (or finds and resumes) its row, trains
// the DCGAN on real cells of its class, and records each checkpoint's
// generator weights and sample grid in the store, with status and costs.
import { isAbsolute, resolve } from 'node:path'
import {
  createGenerator,
  effectiveGeneratorStatus,
  getGeneratorByName,
  getGenerator,
  saveGeneratorCheckpoint,
  updateGenerator,
  type Db,
  type GeneratorRow
} from '../store/index'
import type { ProgressListener } from '../../shared/progress'
import { ganSettings, type GanSettings } from './dcgan'
import type { GanPresetName } from '../../shared/models'
import { ganCheckpointStep, trainGan, type GanTrainResult } from './train'
import { realCellsOfClass, type RealSource } from './cells'
import { checkGeneratorName } from '../../shared/synthetic'
import { CancelledError } from '../errors'

/** Attribution kept with generators trained on the PBC dataset (CC BY 4.0 requires it). */
export const PBC_ATTRIBUTION =
  'PBC dataset: Acevedo A., Merino A., Alférez S., Molina Á., Boldú L., Rodellar J. "A dataset of microscopic peripheral blood cell images for development of automatic recognition systems." Data in Brief 30 (2020) 105474. Mendeley Data, doi:10.17632/snkd93bnjr.1. Licence: CC BY 4.0.'

export interface TrainGeneratorOptions {
  /** Unique name; an existing unfinished generator of this name is resumed. */
  name: string
  class: string
  preset: GanPresetName
  /** Overrides of the preset (size, batch, learning rate ...). */
  settings?: Parameters<typeof ganSettings>[1]
  real: RealSource
  /** Use at most this many real cells (seeded sample). */
  maxReal?: number
  steps: number
  checkpointDir: string
  checkpointEvery?: number
  sampleEvery?: number
  sampleDir?: string
  /** Free text stored with the generator: where its training data came from. */
  trainingData?: string
  attribution?: string
  signal?: AbortSignal
  onProgress?: ProgressListener
}

export interface TrainGeneratorResult {
  generator: GeneratorRow
  train: GanTrainResult
  realCells: number
}

export async function trainGenerator(db: Db, o: TrainGeneratorOptions): Promise<TrainGeneratorResult> {
  let row = getGeneratorByName(db, o.name)
  // A new generator's name becomes a folder and file names: never '.', '..' or a path (older rows keep theirs).
  if (!row) checkGeneratorName(o.name)
  let settings: GanSettings
  const checkpointDir = isAbsolute(o.checkpointDir) ? o.checkpointDir : resolve(o.checkpointDir)
  if (row) {
    if (row.class !== o.class) throw new Error(`generator ${o.name} exists for class ${row.class}, not ${o.class}`)
    settings = JSON.parse(row.settingsJson) as GanSettings
  } else {
    settings = ganSettings(o.preset, o.settings)
    const id = createGenerator(db, {
      name: o.name,
      class: o.class,
      preset: o.settings ? `${o.preset}+custom` : o.preset,
      settingsJson: JSON.stringify(settings),
      targetSteps: o.steps,
      trainingData: o.trainingData ?? ('folder' in o.real ? `folder ${o.real.folder}` : `store${o.real.datasetId !== undefined ? ` dataset ${o.real.datasetId}` : ''}`),
      attribution: o.attribution ?? '',
      checkpointDir
    })
    row = getGenerator(db, id)!
  }
  const generatorId = row.id
  const owner = (JSON.parse(row.metricsJson) as { pid?: unknown }).pid
  if (effectiveGeneratorStatus(row) === 'training' && typeof owner === 'number' && owner !== process.pid) {
    throw new Error(`generator ${row.name} is being trained by process ${owner}; stop it first (it resumes from its checkpoint)`)
  }
  // Stored checkpoints name exact weights (generated cells point at them): never
  // retrain over them from scratch because the training state went missing.
  if (row.steps > 0 && (await ganCheckpointStep(row.checkpointDir ?? checkpointDir).catch(() => undefined)) === undefined) {
    throw new Error(`generator ${row.name} has ${row.steps} steps recorded but its training state is gone from ${row.checkpointDir}; train under a new name`)
  }
  const real = await realCellsOfClass(o.real, o.class, settings.size, { limit: o.maxReal, seed: settings.seed })
  updateGenerator(db, generatorId, {
    status: 'training',
    targetSteps: Math.max(o.steps, row.steps),
    checkpointDir: row.checkpointDir ?? checkpointDir,
    metricsJson: JSON.stringify({ ...(JSON.parse(row.metricsJson) as object), pid: process.pid })
  })
  try {
    const result = await trainGan({
      settings,
      pixels: real.pixels,
      steps: o.steps,
      checkpointDir: row.checkpointDir ?? checkpointDir,
      checkpointEvery: o.checkpointEvery,
      sampleEvery: o.sampleEvery,
      sampleDir: o.sampleDir,
      signal: o.signal,
      onProgress: o.onProgress,
      onCheckpoint: (c) => {
        db.transaction(() => {
          saveGeneratorCheckpoint(db, generatorId, c.step, c.generatorWeights, c.gridPng, { ...c.losses })
          updateGenerator(db, generatorId, { steps: c.step, metricsJson: JSON.stringify({ ...c.losses, realCells: real.count, pid: process.pid }) })
        })()
      }
    })
    updateGenerator(db, generatorId, {
      status: result.step >= o.steps ? 'done' : 'stopped',
      steps: result.step,
      backend: result.backend,
      metricsJson: JSON.stringify({
        ...(result.history.at(-1) ?? {}),
        realCells: real.count,
        secondsPerStep: result.secondsPerStep,
        peakRssMb: result.peakRssMb,
        generatorParams: result.generatorParams,
        discriminatorParams: result.discriminatorParams
      })
    })
    return { generator: getGenerator(db, generatorId)!, train: result, realCells: real.count }
  } catch (err) {
    const cancelled = err instanceof CancelledError
    updateGenerator(db, generatorId, { status: cancelled ? 'stopped' : 'failed' })
    throw err
  }
}
