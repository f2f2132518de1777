// Where models come from and go to: stored in the database (trained by a run,
// imported, or the shipped default), exported / imported as standard tfjs
// folders, and resolved from what a user types (an id, a name, a path).
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type * as tf from '@tensorflow/tfjs'
import type { Db } from '../../store/db'
import {
  getDefaultModel,
  getModel,
  getModelArtifacts,
  getModelBlob,
  getModelByName,
  insertModel,
  putModelBlob,
  listModels,
  setDefaultModel,
  type ModelProvenance,
  type ModelRow
} from '../../store/models'
import { CoreError } from '../../errors'
import { initBackend } from './tfjs-backend'
import { Classifier } from '../infer/classifier'
import { inputNormalisationOf } from '../data/input-normalisation'
import {
  artifactsToModel,
  modelToArtifacts,
  quantizationOf,
  readModelDir,
  writeModelDir,
  type ModelArtifactsBytes,
  type ModelMeta,
  type Quantization
} from './model-files'

export interface SaveModelOptions {
  name: string
  provenance: ModelProvenance
  runId?: number | null
  fold?: number | null
  source?: string | null
  metrics?: unknown
  quantization?: Quantization
  setDefault?: boolean
}

/** Stores a tf model (its topology and weights) in the database. */
export async function saveModel(db: Db, model: tf.LayersModel, meta: ModelMeta, opts: SaveModelOptions): Promise<number> {
  const a = await modelToArtifacts(model, meta, opts.quantization ?? 'float32')
  return storeArtifacts(db, a, opts)
}

export function storeArtifacts(db: Db, a: ModelArtifactsBytes, opts: SaveModelOptions): number {
  const id = insertModel(db, {
    name: opts.name,
    architecture: a.meta.architecture,
    inputSize: a.meta.inputSize,
    classes: a.meta.classes,
    preprocessRecipe: a.meta.preprocessRecipe,
    // Validated here too: a model folder naming an unknown normalisation is refused, not stored as 'none'.
    inputNormalisation: inputNormalisationOf(a.meta),
    topology: a.topology,
    weightSpecs: a.weightSpecs,
    weights: a.weights,
    quantization: quantizationOf(a.weightSpecs),
    provenance: opts.provenance,
    runId: opts.runId ?? null,
    fold: opts.fold ?? null,
    source: opts.source ?? null,
    metrics: opts.metrics ?? (a.meta.metrics as unknown) ?? undefined,
    calibration: (a.meta.calibration as unknown) ?? undefined
  })
  if (opts.setDefault) setDefaultModel(db, id)
  return id
}

/** A stored model's artifacts, with the metadata from its row. */
export function storedArtifacts(db: Db, id: number): ModelArtifactsBytes {
  const row = getModel(db, id)
  const a = getModelArtifacts(db, id)
  if (!row || !a) throw new CoreError('not_found', `no model with id ${id}`)
  return { ...a, meta: metaOf(row) }
}

export function metaOf(row: ModelRow): ModelMeta {
  return {
    architecture: row.architecture,
    inputSize: row.inputSize,
    classes: row.classes,
    preprocessRecipe: row.preprocessRecipe,
    // Written only when set, so the folder of a model without one stays as it was.
    ...(row.inputNormalisation !== 'none' ? { inputNormalisation: row.inputNormalisation } : {}),
    name: row.name,
    modelId: row.id,
    provenance: row.provenance,
    runId: row.runId,
    ...(row.metrics ? { metrics: row.metrics } : {}),
    ...(row.calibration ? { calibration: row.calibration } : {})
  }
}

/** Per-model data the out-of-distribution scores need, kept as `wbc-ood-<name>.bin` beside model.json. */
export const OOD_BLOBS = ['mahalanobis', 'outlier-exposure'] as const
const oodFile = (name: string) => `wbc-ood-${name}.bin`

/** Imports a tfjs model folder / model.json into the database (with its OOD statistics when present). */
export async function importModel(db: Db, path: string, opts: { name?: string; provenance?: ModelProvenance; setDefault?: boolean } = {}): Promise<number> {
  const a = await readModelDir(path)
  const dir = statSync(path).isDirectory() ? path : dirname(path)
  const blobs = new Map<string, Uint8Array>()
  for (const name of OOD_BLOBS) if (existsSync(join(dir, oodFile(name)))) blobs.set(name, new Uint8Array(await readFile(join(dir, oodFile(name)))))
  const cal = a.meta.calibration as { score?: string } | undefined
  // A calibration that needs data the folder lacks cannot be applied: keep the model, drop the routing.
  const lacks = cal?.score !== undefined && (OOD_BLOBS as readonly string[]).includes(cal.score) && !blobs.has(cal.score)
  const meta = lacks ? { ...a.meta, calibration: undefined } : a.meta
  return db.transaction(() => {
    const id = storeArtifacts(db, { ...a, meta }, {
      name: opts.name ?? String(a.meta.name ?? a.meta.architecture),
      provenance: opts.provenance ?? 'imported',
      source: path,
      setDefault: opts.setDefault
    })
    for (const [name, bytes] of blobs) putModelBlob(db, id, name, bytes)
    return id
  })()
}

/** Writes a stored model as a standard tfjs folder (model.json + weights, and its OOD statistics). Returns the model.json path. */
export async function exportModel(db: Db, id: number, dir: string): Promise<string> {
  const file = await writeModelDir(dir, storedArtifacts(db, id))
  for (const name of OOD_BLOBS) {
    const bytes = getModelBlob(db, id, name)
    if (bytes) await writeFile(join(dir, oodFile(name)), bytes)
  }
  return file
}

/**
 * Every shipped model folder (resources/models/<name>/ with a model.json),
 * the default one first: a folder named "default", else the first by name
 * (wnet-pbc, the paper's five-class model, before wnet-pbc8).
 * WBC_DEFAULT_MODEL names one folder and ships only it.
 */
export function shippedModelPaths(env: Record<string, string | undefined> = process.env): string[] {
  if (env.WBC_DEFAULT_MODEL) return [resolve(env.WBC_DEFAULT_MODEL)]
  const root = env.WBC_RESOURCES ? resolve(env.WBC_RESOURCES, 'models') : fileURLToPath(new URL('../../../../resources/models', import.meta.url))
  if (!existsSync(root)) return []
  if (existsSync(join(root, 'model.json'))) return [root]
  const dirs = readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory() && existsSync(join(root, d, 'model.json')))
    .sort()
  const first = dirs.find((d) => d === 'default') ?? dirs[0]
  return first ? [first, ...dirs.filter((d) => d !== first)].map((d) => join(root, d)) : []
}

/** The shipped default model's folder (resources/models), or undefined when none is shipped. */
export function shippedModelPath(env: Record<string, string | undefined> = process.env): string | undefined {
  return shippedModelPaths(env)[0]
}

/**
 * The stored copies of the shipped models, each imported on first use; the
 * first shipped one is made the default when no default exists yet (the user
 * may choose another: `wbc model default`, the Models screen). Returns the
 * stored id of the shipped default folder.
 */
export async function ensureShippedModel(db: Db): Promise<number | undefined> {
  const paths = shippedModelPaths()
  if (!paths.length) return undefined
  const ids: number[] = []
  for (const path of paths) {
    const existing = listModels(db).find((m) => m.provenance === 'shipped' && m.source === path)
    ids.push(existing ? existing.id : await importModel(db, path, { provenance: 'shipped' }))
  }
  if (!getDefaultModel(db)) setDefaultModel(db, ids[0]!)
  return ids[0]
}

export type ModelSource = { kind: 'stored'; id: number } | { kind: 'path'; path: string }

/**
 * What a user typed as a model: a folder / model.json path, a stored model id
 * or name; nothing means the default (the stored default, else the shipped one).
 */
export function parseModelRef(ref: string | undefined): ModelSource | { kind: 'default' } | { kind: 'name'; name: string } {
  if (ref === undefined || ref === '') return { kind: 'default' }
  if (existsSync(ref)) return { kind: 'path', path: resolve(ref) }
  if (/^\d+$/.test(ref)) return { kind: 'stored', id: Number(ref) }
  return { kind: 'name', name: ref }
}

/** Resolves a model reference to a stored model id (importing a path, or the shipped model, when needed). */
export async function resolveStoredModel(db: Db, ref: string | undefined): Promise<number> {
  const p = parseModelRef(ref)
  if (p.kind === 'stored') {
    if (!getModel(db, p.id)) throw new CoreError('not_found', `no stored model with id ${p.id}`)
    return p.id
  }
  if (p.kind === 'name') {
    const m = getModelByName(db, p.name)
    if (!m) throw new CoreError('not_found', `no model "${p.name}" (give a stored model id or name, or a model folder / model.json)`)
    return m.id
  }
  if (p.kind === 'path') {
    const found = listModels(db).find((m) => m.source === p.path)
    return found ? found.id : importModel(db, p.path)
  }
  // Models shipped since the store was made (the eight-class one) become available beside the default.
  const shipped = await ensureShippedModel(db)
  const def = getDefaultModel(db)
  if (def) return def.id
  if (shipped === undefined) throw new CoreError('unavailable', 'no default model: none is stored as default and none is shipped in resources/models; pass --model')
  return shipped
}

const loaded = new Map<string, Classifier>()

/** A classifier for a stored model (kept loaded for later calls in this process). */
export async function loadStoredClassifier(db: Db, id: number): Promise<Classifier> {
  const key = `db:${db.name}:${id}`
  const hit = loaded.get(key)
  if (hit) return hit
  await initBackend()
  const a = storedArtifacts(db, id)
  const clf = new Classifier(await artifactsToModel(a), a.meta)
  loaded.set(key, clf)
  return clf
}

/** Frees every loaded stored classifier but model `keep`'s (the warm inference service holds one model). */
export function retainStoredClassifiers(keep: number): void {
  for (const [key, clf] of loaded) {
    if (key.endsWith(`:${keep}`)) continue
    clf.dispose()
    loaded.delete(key)
  }
}

/** A classifier from a model folder / model.json without touching any database. */
export async function loadClassifierFromPath(path: string): Promise<Classifier> {
  await initBackend()
  const a = await readModelDir(path)
  return new Classifier(await artifactsToModel(a), a.meta)
}

/** Forget loaded models (tests; after a model is replaced). */
export function unloadClassifiers(): void {
  for (const c of loaded.values()) c.dispose()
  loaded.clear()
}
