// The models service: stored models as the shells list them, choosing the
// default, and the rules a training, cross-validation, transfer or
// calibration request must pass before any work starts (the dataset exists,
// dropout-off epochs fit in the epochs, the base model is one the
// workstation can retrain, calibration has WBCs to measure on, one training
// at a time). Reads go straight to the store: listing models never loads
// TensorFlow.js.
import { MODEL_ARCHITECTURES, type ModelArchitecture, type ModelSummary } from '../../shared/models'
import { CoreError, notFound } from '../errors'
import { routingOf, type OodCalibration } from '../ml/ood/ood-scores'
import { headlineMetrics } from '../stats/headline'
import { getDatasetByName, type Db } from '../store'
import { getModel, listModels, setDefaultModel, type ModelRow } from '../store/models'
import { runImages } from '../store/runs'

export function modelSummary(m: ModelRow): ModelSummary {
  return {
    id: m.id,
    name: m.name,
    architecture: m.architecture,
    inputSize: m.inputSize,
    classes: m.classes,
    quantization: m.quantization,
    inputNormalisation: m.inputNormalisation,
    provenance: m.provenance,
    runId: m.runId,
    fold: m.fold,
    ...headlineMetrics(m.metrics, m.quantization),
    byteSize: m.byteSize,
    routing: routingOf(m.calibration as OodCalibration | null),
    isDefault: m.isDefault,
    createdAt: m.createdAt
  }
}

/** Every stored model, newest first. */
export function modelSummaries(db: Db): ModelSummary[] {
  return listModels(db).map(modelSummary).reverse()
}

export function requireModel(db: Db, id: number): ModelRow {
  const m = getModel(db, id)
  if (!m) throw notFound(`model ${id}`)
  return m
}

/** Makes a stored model the one classification uses when none is named. */
export function chooseDefaultModel(db: Db, id: number): ModelSummary {
  requireModel(db, id)
  setDefaultModel(db, id)
  return modelSummary(getModel(db, id)!)
}

export function requireDataset(db: Db, name: string): void {
  if (!getDatasetByName(db, name)) throw notFound(`dataset "${name}"`)
}

/** Dropout-off epochs are the last of the run's epochs, so they cannot be more. */
export function checkDropoutOff(p: { epochs: number; dropoutOffEpochs: number }): void {
  if (p.dropoutOffEpochs > p.epochs) throw new CoreError('invalid_input', `dropout-off epochs (${p.dropoutOffEpochs}) cannot exceed the epochs (${p.epochs})`)
}

/** The base model of a transfer experiment, if the workstation can retrain its network. */
export function requireRetrainable(db: Db, id: number): ModelRow & { architecture: ModelArchitecture } {
  const base = requireModel(db, id)
  if (!(MODEL_ARCHITECTURES as readonly string[]).includes(base.architecture)) {
    throw new CoreError('invalid_input', `model ${base.id} is a ${base.architecture} network, which the workstation cannot retrain`)
  }
  return base as ModelRow & { architecture: ModelArchitecture }
}

/**
 * The model to calibrate, if its request can be measured: the datasets it
 * names exist, and without a training-cells dataset the model's own training
 * run held cells out (those are the WBCs the routing is measured on).
 */
export function requireCalibratable(db: Db, p: { id: number; other: string; fit?: string; wbc?: string }): ModelRow {
  const m = requireModel(db, p.id)
  for (const d of [p.other, p.fit, p.wbc]) if (d !== undefined) requireDataset(db, d)
  if (p.fit === undefined) {
    const held = m.runId === null ? [] : runImages(db, m.runId).filter((i) => i.role === 'validation' || i.role === 'test')
    if (!held.length) {
      throw new CoreError('invalid_input', `model ${m.id} has no training run with held-out cells here: choose the dataset it was trained on and one of real WBCs it did not train on`)
    }
  }
  return m
}

/** Kinds of long work that train or measure a network: one at a time. */
const TRAINING_WORK: Record<string, string> = { train: 'training', crossval: 'cross-validation', transfer: 'transfer-learning', calibrate: 'calibration', adapt: 'site-adaptation' }

/**
 * One training at a time: two would halve each other's speed on a
 * workstation's cores. `running`: the work now running (the job runner's list).
 */
export function refuseIfTraining(running: readonly { kind: string; title: string; state: string }[]): void {
  const busy = running.find((j) => j.state === 'running' && j.kind in TRAINING_WORK)
  if (busy) throw new CoreError('conflict', `a ${TRAINING_WORK[busy.kind]} job is already running (${busy.title}); wait for it or cancel it`)
}
