// ONNX Runtime inference (src/main/ml/model/onnx-export.ts): the shipped W-Net written as
// an ONNX graph answers real PBC cells as TensorFlow.js does (probabilities,
// features, logits and the convolution statistics the Unidentified detector
// reads), the inference pool runs it and says so, and networks the converter
// cannot express are refused plainly so the caller keeps TensorFlow.js.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/ml/model/tfjs-backend'
import { buildModel, specFor } from '../../../../src/main/ml/model/architectures/index'
import { Classifier, type ClassifierOutput } from '../../../../src/main/ml/infer/classifier'
import { listClassFolders, loadCells, type CellSet } from '../../../../src/main/ml/data/cell-set'
import { closeInferencePool, predictInPool } from '../../../../src/main/ml/infer/inference-pool'
import { artifactsToModel, modelToArtifacts, readModelDir, type ModelArtifactsBytes } from '../../../../src/main/ml/model/model-files'
import { modelToOnnx, OnnxUnsupported } from '../../../../src/main/ml/model/onnx-export'
import { loadOnnxRuntime, OnnxClassifier } from '../../../../src/main/ml/infer/onnx-runtime'
import { shippedModelPath } from '../../../../src/main/ml/model/registry'
import { WBC_CLASSES } from '../../../../src/shared/cells'
import { datasetPath } from '../../../helpers/datasets'
import type * as tf from '@tensorflow/tfjs'

let artifacts: ModelArtifactsBytes
let model: tf.LayersModel
let cells: CellSet
let reference: ClassifierOutput
beforeAll(async () => {
  await initBackend('wasm')
  artifacts = await readModelDir(shippedModelPath()!)
  model = await artifactsToModel(artifacts)
  // 8 real cells of each class (every 9th fixture cell: different donors and days).
  const files = (await listClassFolders(datasetPath('pbc-wbc'))).filter((_, i) => i % 9 === 0)
  const picked = WBC_CLASSES.flatMap((_, c) => files.filter((f) => f.label === c).slice(0, 8))
  cells = await loadCells(picked, artifacts.meta.inputSize)
  reference = new Classifier(model, artifacts.meta).predict(cells.pixels, { batchSize: 16, features: true, convStats: true })
}, 120_000)
afterAll(async () => {
  await closeInferencePool()
  model?.dispose()
})

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
const tops = (p: Float32Array, C: number) => Array.from({ length: p.length / C }, (_, i) => {
  let b = 0
  for (let k = 1; k < C; k++) if (p[i * C + k] > p[i * C + b]) b = k
  return b
})

describe('ONNX Runtime inference', () => {
  it('loads onnxruntime-node here (an optionalDependency the setup installs)', () => {
    const r = loadOnnxRuntime()
    expect(r.reason).toBeUndefined()
    expect(r.ort?.InferenceSession).toBeDefined()
  })

  it('answers real cells as TensorFlow.js does, every output the workstation reads', async () => {
    const n = cells.labels.length
    expect(n).toBe(40)
    const clf = await OnnxClassifier.create(model, artifacts.meta)
    // A batch size that does not divide the cells: the last batch is short.
    const out = await clf.predict(cells.pixels, { batchSize: 16, features: true, convStats: true })
    clf.dispose()
    const C = WBC_CLASSES.length
    expect(out.probabilities).toHaveLength(n * C)
    expect(maxDiff(out.probabilities, reference.probabilities)).toBeLessThan(1e-4)
    expect(tops(out.probabilities, C)).toEqual(tops(reference.probabilities, C))
    expect(out.featureSize).toBe(1024)
    expect(maxDiff(out.features!, reference.features!)).toBeLessThan(1e-3 * Math.max(1, maxAbs(reference.features!)))
    expect(maxDiff(out.logits!, reference.logits!)).toBeLessThan(1e-3 * Math.max(1, maxAbs(reference.logits!)))
    // 16 + 32 + 64 channels, mean and standard deviation each.
    expect(out.convStatsSize).toBe(224)
    expect(maxDiff(out.convStats!, reference.convStats!)).toBeLessThan(1e-3 * Math.max(1, maxAbs(reference.convStats!)))
    // And the model is right on these real cells, as its card says (not a check of ONNX itself, a check that the cells are real).
    const right = tops(out.probabilities, C).filter((t, i) => t === cells.labels[i]).length
    expect(right / n).toBeGreaterThan(0.85)
  })

  it('with 8-bit integer dense layers (what slide classification runs) calls every real cell as float32 does', async () => {
    const n = cells.labels.length
    const C = WBC_CLASSES.length
    const clf = await OnnxClassifier.fromGraph(modelToOnnx(model, { kernels: 'integer' }), artifacts.meta)
    const out = await clf.predict(cells.pixels, { batchSize: 16, features: true, convStats: true })
    clf.dispose()
    // Same top class for all 40 cells; probabilities within a point (measured: at most 0.006 on 1,050 cells, docs/ml-results.md).
    expect(tops(out.probabilities, C)).toEqual(tops(reference.probabilities, C))
    expect(maxDiff(out.probabilities, reference.probabilities)).toBeLessThan(0.01)
    expect(maxDiff(out.probabilities, reference.probabilities)).toBeGreaterThan(0) // the integer kernels did run
    // The convolutions stay float32: the Unidentified detector reads the same statistics.
    expect(maxDiff(out.convStats!, reference.convStats!)).toBeLessThan(1e-3 * Math.max(1, maxAbs(reference.convStats!)))
    expect(out.features).toHaveLength(n * 1024)
  })

  it('runs in the inference pool, which names the engine', async () => {
    const per = artifacts.meta.inputSize ** 2 * 3
    const out = await predictInPool('onnx-test#shipped', () => artifacts, cells.pixels.slice(), per, WBC_CLASSES.length, { workers: 2, batchSize: 8, convStats: true })
    expect(out.engine).toBe('onnxruntime')
    expect(maxDiff(out.probabilities, reference.probabilities)).toBeLessThan(1e-4)
    expect(maxDiff(out.convStats!, reference.convStats!)).toBeLessThan(1e-3 * Math.max(1, maxAbs(reference.convStats!)))
    // The caller's own ONNX graph (what classifyCells sends: the workers then never load TensorFlow.js), features too.
    let wrote = 0
    const viaGraph = await predictInPool('onnx-test#graph', () => { throw new Error('artifacts are not needed when the graph is sent') }, cells.pixels.slice(), per, WBC_CLASSES.length, {
      workers: 2, batchSize: 8, features: true,
      onnx: () => { wrote++; return { graph: modelToOnnx(model), meta: artifacts.meta } }
    })
    expect(wrote).toBe(1)
    expect(viaGraph.engine).toBe('onnxruntime')
    expect(maxDiff(viaGraph.probabilities, reference.probabilities)).toBeLessThan(1e-4)
    expect(maxDiff(viaGraph.features!, reference.features!)).toBeLessThan(1e-3 * Math.max(1, maxAbs(reference.features!)))
    // Warm: the second call writes no graph.
    await predictInPool('onnx-test#graph', () => artifacts, cells.pixels.slice(), per, WBC_CLASSES.length, { workers: 2, onnx: () => { wrote++; return undefined } })
    expect(wrote).toBe(1)
  })

  it('keeps TensorFlow.js in the pool for a network ONNX cannot express, and says why', async () => {
    const m = buildModel(specFor('resnet18', { inputSize: 32, seed: 1 }))
    const a = await modelToArtifacts(m, { architecture: 'resnet18', inputSize: 32, classes: [...WBC_CLASSES], preprocessRecipe: artifacts.meta.preprocessRecipe })
    const small = await loadCells((await listClassFolders(datasetPath('pbc-wbc'))).filter((_, i) => i % 40 === 0), 32)
    const out = await predictInPool('onnx-test#resnet', () => a, small.pixels.slice(), 32 * 32 * 3, WBC_CLASSES.length, { workers: 1 })
    m.dispose()
    expect(out.engine).toBe('wasm')
    expect(out.onnxSkipped).toMatch(/no ONNX mapping|more than one input/)
    expect(out.probabilities).toHaveLength(small.labels.length * WBC_CLASSES.length)
  })

  it('writes the other plain stacks (W-Net-SVM, AlexNet, VGG16) with the same answers, and refuses what it cannot express', async () => {
    // Strides, 'valid' padding, bigger kernels and no softmax (SVM) all go through the converter: same outputs as tfjs on real cells.
    const few = await loadCells((await listClassFolders(datasetPath('pbc-wbc'))).filter((_, i) => i % 75 === 0), 32)
    for (const arch of ['wnet-svm', 'alexnet', 'vgg16'] as const) {
      const m = buildModel(specFor(arch, { inputSize: 32, seed: 1 }))
      try {
        const meta = { architecture: arch, inputSize: 32, classes: [...WBC_CLASSES], preprocessRecipe: artifacts.meta.preprocessRecipe }
        const want = new Classifier(m, meta).predict(few.pixels, { batchSize: 4, convStats: true })
        const clf = await OnnxClassifier.create(m, meta)
        const got = await clf.predict(few.pixels, { batchSize: 4, convStats: true })
        clf.dispose()
        expect(got.probabilities).toHaveLength(few.labels.length * 5)
        expect(maxDiff(got.probabilities, want.probabilities), arch).toBeLessThan(1e-4 * Math.max(1, maxAbs(want.probabilities)))
        expect(maxDiff(got.convStats!, want.convStats!), arch).toBeLessThan(1e-3 * Math.max(1, maxAbs(want.convStats!)))
      } finally {
        m.dispose()
      }
    }
    for (const arch of ['resnet18', 'lstm'] as const) {
      const m = buildModel(specFor(arch, { inputSize: 32, seed: 1 }))
      try {
        expect(() => modelToOnnx(m)).toThrow(OnnxUnsupported)
      } finally {
        m.dispose()
      }
    }
  })
})
