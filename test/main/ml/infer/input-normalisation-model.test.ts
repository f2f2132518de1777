// A model whose metadata says grey-world gets grey-world inputs on every path
// a cell takes to it: TensorFlow.js (Classifier), ONNX Runtime, the inference
// pool's workers, `wbc evaluate` (evaluateFolder), training, and a stored model (its row
// keeps the flag, its export writes it, and the store refuses to change it).
// The proof on each path: the flagged model on raw cells answers exactly what
// the same weights without the flag answer on cells normalised beforehand,
// and not what they answer on raw cells. A tiny 32 px W-Net, real Chula cells.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type * as tf from '@tensorflow/tfjs'
import { initBackend } from '../../../../src/main/ml/model/tfjs-backend'
import { buildModel, specFor } from '../../../../src/main/ml/model/architectures/index'
import { Classifier } from '../../../../src/main/ml/infer/classifier'
import { OnnxClassifier } from '../../../../src/main/ml/infer/onnx-runtime'
import { closeInferencePool, predictInPool } from '../../../../src/main/ml/infer/inference-pool'
import { evaluateFolder } from '../../../../src/main/ml/infer/evaluate-folder'
import { listClassFolders, loadCells, type CellSet } from '../../../../src/main/ml/data/cell-set'
import { greyWorld, normalisationMetaOf } from '../../../../src/main/ml/data/input-normalisation'
import { train } from '../../../../src/main/ml/train/trainer'
import { modelToArtifacts, readModelDir, writeModelDir, type ModelArtifactsBytes, type ModelMeta } from '../../../../src/main/ml/model/model-files'
import { exportModel, loadStoredClassifier, storeArtifacts, unloadClassifiers } from '../../../../src/main/ml/model/registry'
import { openStore, type Db } from '../../../../src/main/store'
import { getModel } from '../../../../src/main/store/models'
import { WBC_CLASSES } from '../../../../src/shared/cells'
import { datasetPath } from '../../../helpers/datasets'

const S = 32
let model: tf.LayersModel
let cells: CellSet
let normalised: Uint8Array
let gwArtifacts: ModelArtifactsBytes
const meta = (over: Partial<ModelMeta> = {}): ModelMeta => ({ architecture: 'wnet', inputSize: S, classes: [...WBC_CLASSES], preprocessRecipe: 'wnet-central-crop-v1', ...over })
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)
let work: string
let db: Db | undefined

beforeAll(async () => {
  await initBackend('wasm')
  model = buildModel(specFor('wnet', { inputSize: S, numClasses: 5, seed: 3 }))
  // 2 real Chula cells of each class: another site's colours, which grey-world moves a lot.
  const files = await listClassFolders(datasetPath('chula-wbc'))
  cells = await loadCells(WBC_CLASSES.flatMap((_, c) => files.filter((f) => f.label === c).slice(0, 2)), S)
  const per = S * S * 3
  normalised = new Uint8Array(cells.pixels.length)
  for (let i = 0; i < cells.labels.length; i++) greyWorld(cells.pixels.subarray(i * per, (i + 1) * per), normalised.subarray(i * per, (i + 1) * per))
  gwArtifacts = await modelToArtifacts(model, meta({ inputNormalisation: 'grey-world' }))
  work = mkdtempSync(join(tmpdir(), 'wbc-input-norm-'))
}, 60_000)
afterAll(async () => {
  await closeInferencePool()
  unloadClassifiers()
  db?.close()
  model?.dispose()
  rmSync(work, { recursive: true, force: true })
})

describe('a grey-world model gets grey-world inputs', () => {
  it('on TensorFlow.js and ONNX Runtime', async () => {
    const flagged = new Classifier(model, meta({ inputNormalisation: 'grey-world' }))
    const plain = new Classifier(model, meta())
    expect(flagged.inputNormalisation).toBe('grey-world')
    expect(plain.inputNormalisation).toBe('none')
    const onRaw = flagged.predict(cells.pixels).probabilities
    const reference = plain.predict(normalised).probabilities
    expect(maxDiff(onRaw, reference)).toBeLessThan(1e-6)
    // The normalisation matters for this network: without it the answers differ.
    expect(maxDiff(plain.predict(cells.pixels).probabilities, reference)).toBeGreaterThan(1e-4)

    const onnx = await OnnxClassifier.create(model, meta({ inputNormalisation: 'grey-world' }))
    const onnxPlain = await OnnxClassifier.create(model, meta())
    try {
      expect(maxDiff((await onnx.predict(cells.pixels, { batchSize: 4 })).probabilities, reference)).toBeLessThan(1e-5)
      expect(maxDiff((await onnxPlain.predict(cells.pixels)).probabilities, reference)).toBeGreaterThan(1e-4)
    } finally {
      onnx.dispose()
      onnxPlain.dispose()
    }
  })

  it("in the inference pool's workers, whichever form the model is sent in", async () => {
    const reference = new Classifier(model, meta()).predict(normalised).probabilities
    const per = S * S * 3
    const out = await predictInPool('input-norm#artifacts', () => gwArtifacts, cells.pixels.slice(), per, 5, { workers: 2, batchSize: 3 })
    expect(maxDiff(out.probabilities, reference)).toBeLessThan(1e-5)
    // The tfjs artifacts without the flag: raw inputs, other answers (the pool does not normalise by itself).
    const plainArtifacts = await modelToArtifacts(model, meta())
    const plain = await predictInPool('input-norm#plain', () => plainArtifacts, cells.pixels.slice(), per, 5, { workers: 2, batchSize: 3 })
    expect(maxDiff(plain.probabilities, reference)).toBeGreaterThan(1e-4)
  })

  it('in wbc evaluate (evaluateFolder), which names it in its report', async () => {
    const dir = join(work, 'gw-model')
    await writeModelDir(dir, gwArtifacts)
    expect((await readModelDir(dir)).meta.inputNormalisation).toBe('grey-world')
    const files = await listClassFolders(datasetPath('chula-wbc'))
    const picked = new Set(WBC_CLASSES.flatMap((_, c) => files.filter((f) => f.label === c).slice(0, 2)).map((f) => f.relative))
    const report = await evaluateFolder(datasetPath('chula-wbc'), { model: dir, only: picked })
    expect(report.n).toBe(10)
    expect(report.model.inputNormalisation).toBe('grey-world')
    // Its confusion matrix is the one the un-flagged weights give on normalised cells.
    const p = new Classifier(model, meta()).predict(normalised).probabilities
    const confusion = WBC_CLASSES.map(() => new Array<number>(5).fill(0))
    for (let i = 0; i < cells.labels.length; i++) {
      const row = Array.from(p.subarray(i * 5, i * 5 + 5))
      confusion[cells.labels[i]][row.indexOf(Math.max(...row))]++
    }
    expect(report.confusion).toEqual(confusion)
  })

  it('in training: a spec with grey-world trains on normalised cells, and the metadata made from the spec names it', async () => {
    const spec = specFor('wnet', { inputSize: S, numClasses: 5, seed: 4 })
    const base = { cells: { pixels: cells.pixels, labels: cells.labels, size: S, classes: WBC_CLASSES }, trainIndices: Array.from(cells.labels.keys()), epochs: 1, batchSize: 5, learningRate: 1e-3, seed: 9, workers: 0 }
    const flagged = await train({ ...base, spec: { ...spec, inputNormalisation: 'grey-world' } })
    // The same run on cells normalised beforehand, without the flag: the same weights (runs repeat exactly).
    const byHand = await train({ ...base, spec, cells: { ...base.cells, pixels: normalised } })
    expect(maxDiff(flagged.weights, byHand.weights)).toBeLessThan(1e-6)
    const raw = await train({ ...base, spec })
    expect(maxDiff(raw.weights, byHand.weights)).toBeGreaterThan(1e-4)
    expect(normalisationMetaOf({ ...spec, inputNormalisation: 'grey-world' })).toEqual({ inputNormalisation: 'grey-world' })
    expect(normalisationMetaOf(spec)).toEqual({})
  }, 120_000)

  it('as a stored model: the row keeps it, export writes it, and the store refuses to change it', async () => {
    db = openStore(':memory:')
    const id = storeArtifacts(db, gwArtifacts, { name: 'tiny gw', provenance: 'imported' })
    const plainId = storeArtifacts(db, await modelToArtifacts(model, meta()), { name: 'tiny', provenance: 'imported' })
    expect(getModel(db, id)?.inputNormalisation).toBe('grey-world')
    expect(getModel(db, plainId)?.inputNormalisation).toBe('none')
    const stored = await loadStoredClassifier(db, id)
    expect(stored.inputNormalisation).toBe('grey-world')
    expect(maxDiff(stored.predict(cells.pixels).probabilities, new Classifier(model, meta()).predict(normalised).probabilities)).toBeLessThan(1e-5)
    const out = join(work, 'exported')
    await exportModel(db, id, out)
    expect((await readModelDir(out)).meta.inputNormalisation).toBe('grey-world')
    // A model's preprocessing is part of it: flipping it in place would change its predictions without a trace.
    expect(() => db!.prepare(`UPDATE models SET input_normalisation = 'none' WHERE id = ?`).run(id)).toThrow(/part of the model/)
    expect(() => db!.prepare(`UPDATE models SET input_normalisation = 'grey-world' WHERE id = ?`).run(plainId)).toThrow(/part of the model/)
    expect(getModel(db, id)?.inputNormalisation).toBe('grey-world')
  })
})
