// Trained, imported and shipped models (TensorFlow.js artifacts: topology,
// weight manifest, weight bytes), the default model, per-model feature
// statistics, and the predictions models made for cells.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'
import { WBC_CLASSES } from '../../shared/cells'
import type { InputNormalisation } from '../../shared/models'

export type ModelProvenance = 'run' | 'imported' | 'shipped'
export type WeightQuantization = 'float32' | 'float16' | 'uint8' | 'uint16'

/** A tfjs weight manifest entry (as in model.json's weightsManifest[].weights). */
export interface WeightSpec {
  name: string
  shape: number[]
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64'
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number }
}

export interface NewModel {
  name: string
  architecture: string
  inputSize: number
  classes: readonly string[]
  preprocessRecipe: string
  /** The input colour normalisation it was trained with (default 'none'); fixed once stored. */
  inputNormalisation?: InputNormalisation
  topology: unknown
  weightSpecs: WeightSpec[]
  weights: Uint8Array
  quantization?: WeightQuantization
  provenance: ModelProvenance
  runId?: number | null
  fold?: number | null
  source?: string | null
  metrics?: unknown
  calibration?: unknown
}

export interface ModelRow {
  id: number
  name: string
  architecture: string
  inputSize: number
  classes: string[]
  preprocessRecipe: string
  inputNormalisation: InputNormalisation
  quantization: WeightQuantization
  provenance: ModelProvenance
  runId: number | null
  fold: number | null
  source: string | null
  metrics: unknown
  calibration: unknown
  createdAt: string
  isDefault: boolean
  /** Size of the weight bytes. */
  byteSize: number
}

export interface ModelArtifactsRow {
  topology: unknown
  weightSpecs: WeightSpec[]
  weights: Uint8Array
}

const COLS = `id, name, architecture, input_size AS inputSize, classes_json AS classesJson, preprocess_recipe AS preprocessRecipe, input_normalisation AS inputNormalisation,
  quantization, provenance, run_id AS runId, fold, source, metrics_json AS metricsJson, calibration_json AS calibrationJson,
  created_at AS createdAt, is_default AS isDefault, length(weights) AS byteSize`

type RawModel = Omit<ModelRow, 'classes' | 'metrics' | 'calibration' | 'isDefault'> & {
  classesJson: string
  metricsJson: string | null
  calibrationJson: string | null
  isDefault: number
}

function toRow(r: RawModel): ModelRow {
  const { classesJson, metricsJson, calibrationJson, ...rest } = r
  return {
    ...rest,
    classes: JSON.parse(classesJson) as string[],
    metrics: metricsJson === null ? null : JSON.parse(metricsJson),
    calibration: calibrationJson === null ? null : JSON.parse(calibrationJson),
    isDefault: r.isDefault === 1
  }
}

export function insertModel(db: Db, m: NewModel): number {
  return Number(
    stmt(
      db,
      `INSERT INTO models (name, architecture, input_size, classes_json, preprocess_recipe, topology_json, weight_specs_json, weights,
                           quantization, provenance, run_id, fold, source, metrics_json, calibration_json, created_at, input_normalisation)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(
      m.name,
      m.architecture,
      m.inputSize,
      JSON.stringify(m.classes),
      m.preprocessRecipe,
      JSON.stringify(m.topology),
      JSON.stringify(m.weightSpecs),
      toBuffer(m.weights),
      m.quantization ?? 'float32',
      m.provenance,
      m.runId ?? null,
      m.fold ?? null,
      m.source ?? null,
      m.metrics === undefined ? null : JSON.stringify(m.metrics),
      m.calibration === undefined ? null : JSON.stringify(m.calibration),
      nowIso(),
      m.inputNormalisation ?? 'none'
    ).lastInsertRowid
  )
}

export function getModel(db: Db, id: number): ModelRow | undefined {
  const r = stmt<[number], RawModel>(db, `SELECT ${COLS} FROM models WHERE id = ?`).get(id)
  return r ? toRow(r) : undefined
}

/** The newest model with this name. */
export function getModelByName(db: Db, name: string): ModelRow | undefined {
  const r = stmt<[string], RawModel>(db, `SELECT ${COLS} FROM models WHERE name = ? ORDER BY id DESC LIMIT 1`).get(name)
  return r ? toRow(r) : undefined
}

export function listModels(db: Db, opts: { runId?: number } = {}): ModelRow[] {
  const rows =
    opts.runId === undefined
      ? stmt<[], RawModel>(db, `SELECT ${COLS} FROM models ORDER BY id`).all()
      : stmt<[number], RawModel>(db, `SELECT ${COLS} FROM models WHERE run_id = ? ORDER BY fold, id`).all(opts.runId)
  return rows.map(toRow)
}

export function getModelArtifacts(db: Db, id: number): ModelArtifactsRow | undefined {
  const r = stmt<[number], { topology: string; specs: string; weights: Buffer }>(
    db,
    'SELECT topology_json AS topology, weight_specs_json AS specs, weights FROM models WHERE id = ?'
  ).get(id)
  if (!r) return undefined
  return {
    topology: JSON.parse(r.topology),
    weightSpecs: JSON.parse(r.specs) as WeightSpec[],
    weights: new Uint8Array(r.weights.buffer, r.weights.byteOffset, r.weights.byteLength)
  }
}

/** Makes this model the one used when none is named (at most one is). */
export function setDefaultModel(db: Db, id: number): void {
  db.transaction(() => {
    if (!getModel(db, id)) throw new Error(`no model with id ${id}`)
    stmt(db, 'UPDATE models SET is_default = 0 WHERE is_default = 1').run()
    stmt(db, 'UPDATE models SET is_default = 1 WHERE id = ?').run(id)
  }).immediate()
}

export function getDefaultModel(db: Db): ModelRow | undefined {
  const r = stmt<[], RawModel>(db, `SELECT ${COLS} FROM models WHERE is_default = 1`).get()
  return r ? toRow(r) : undefined
}

export function setModelCalibration(db: Db, id: number, calibration: unknown): void {
  stmt(db, 'UPDATE models SET calibration_json = ? WHERE id = ?').run(calibration === null ? null : JSON.stringify(calibration), id)
}

export function putModelBlob(db: Db, modelId: number, name: string, bytes: Uint8Array): void {
  stmt(db, 'INSERT OR REPLACE INTO model_blobs (model_id, name, bytes) VALUES (?, ?, ?)').run(modelId, name, toBuffer(bytes))
}

export function getModelBlob(db: Db, modelId: number, name: string): Uint8Array | undefined {
  const r = stmt<[number, string], { bytes: Buffer }>(db, 'SELECT bytes FROM model_blobs WHERE model_id = ? AND name = ?').get(modelId, name)
  return r ? new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) : undefined
}

// ---------------------------------------------------------------------------
// Predictions

export interface NewPrediction {
  imageId: number
  modelId: number
  runId?: number | null
  /** Probability per class name; the five WBC classes are required. */
  probabilities: Record<string, number>
  topClass: string
  confidence: number
  oodScore?: number | null
  unidentified?: boolean | null
}

export interface PredictionRow {
  id: number
  imageId: number
  modelId: number
  runId: number | null
  probabilities: Record<string, number>
  topClass: string
  confidence: number
  oodScore: number | null
  unidentified: boolean | null
  createdAt: string
}

/** Stores predictions (one transaction), replacing earlier ones of the same model for the same cells. */
export function putPredictions(db: Db, rows: readonly NewPrediction[]): void {
  const ins = stmt(
    db,
    `INSERT INTO predictions (image_id, model_id, run_id, p_neutrophil, p_eosinophil, p_basophil, p_lymphocyte, p_monocyte,
                              top_class, confidence, ood_score, unidentified, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (image_id, model_id) DO UPDATE SET run_id = excluded.run_id, p_neutrophil = excluded.p_neutrophil,
       p_eosinophil = excluded.p_eosinophil, p_basophil = excluded.p_basophil, p_lymphocyte = excluded.p_lymphocyte,
       p_monocyte = excluded.p_monocyte, top_class = excluded.top_class, confidence = excluded.confidence,
       ood_score = excluded.ood_score, unidentified = excluded.unidentified, created_at = excluded.created_at`
  )
  const at = nowIso()
  db.transaction(() => {
    for (const p of rows) {
      const probs = WBC_CLASSES.map((c) => {
        const v = p.probabilities[c]
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`prediction for image ${p.imageId} lacks a probability for ${c}`)
        return v
      })
      ins.run(
        p.imageId,
        p.modelId,
        p.runId ?? null,
        ...probs,
        p.topClass,
        p.confidence,
        p.oodScore ?? null,
        p.unidentified === undefined || p.unidentified === null ? null : p.unidentified ? 1 : 0,
        at
      )
    }
  }).immediate()
}

const PRED_COLS = `p.id, p.image_id AS imageId, p.model_id AS modelId, p.run_id AS runId, p.p_neutrophil, p.p_eosinophil, p.p_basophil,
  p.p_lymphocyte, p.p_monocyte, p.top_class AS topClass, p.confidence, p.ood_score AS oodScore, p.unidentified, p.created_at AS createdAt`

type RawPrediction = Omit<PredictionRow, 'probabilities' | 'unidentified'> & {
  p_neutrophil: number
  p_eosinophil: number
  p_basophil: number
  p_lymphocyte: number
  p_monocyte: number
  unidentified: number | null
}

function toPrediction(r: RawPrediction): PredictionRow {
  const { p_neutrophil, p_eosinophil, p_basophil, p_lymphocyte, p_monocyte, unidentified, ...rest } = r
  return {
    ...rest,
    probabilities: { neutrophil: p_neutrophil, eosinophil: p_eosinophil, basophil: p_basophil, lymphocyte: p_lymphocyte, monocyte: p_monocyte },
    unidentified: unidentified === null ? null : unidentified === 1
  }
}

/** Predictions, optionally of one model, of one slide's cells, or of some images. */
/** The model of the newest prediction on a slide's cells: the model whose calls the slide shows (one indexed row, no probabilities parsed). */
export function latestPredictionModelOfSlide(db: Db, slideId: number): number | undefined {
  return stmt<[number], { id: number }>(
    db,
    'SELECT p.model_id AS id FROM predictions p JOIN images i ON i.id = p.image_id WHERE i.slide_id = ? ORDER BY p.created_at DESC, p.id DESC LIMIT 1'
  ).get(slideId)?.id
}

export function listPredictions(db: Db, opts: { modelId?: number; slideId?: number; imageIds?: readonly number[] } = {}): PredictionRow[] {
  const where: string[] = []
  const params: number[] = []
  if (opts.modelId !== undefined) {
    where.push('p.model_id = ?')
    params.push(opts.modelId)
  }
  if (opts.slideId !== undefined) {
    where.push('i.slide_id = ?')
    params.push(opts.slideId)
  }
  if (opts.imageIds !== undefined) {
    if (opts.imageIds.length === 0) return []
    where.push(`p.image_id IN (SELECT value FROM json_each(?))`)
  }
  const sql = `SELECT ${PRED_COLS} FROM predictions p JOIN images i ON i.id = p.image_id
               ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY p.image_id, p.model_id`
  const args: (number | string)[] = [...params]
  if (opts.imageIds !== undefined) args.push(JSON.stringify(opts.imageIds))
  return db
    .prepare(sql)
    .all(...args)
    .map((r) => toPrediction(r as RawPrediction))
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength)
}
