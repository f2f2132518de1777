// Model IO without tfjs-node: memory and Buffer round trips, standard tfjs
// directories (model.json + weights.bin) loadable by tf.loadLayersModel,
// 8-bit quantisation, and the packed optimizer state of unfinished runs.
import { beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initBackend, tf } from '../../../../src/main/ml/model/tfjs-backend'
import { buildModel, specFor } from '../../../../src/main/ml/model/architectures/index'
import { flattenWeights } from '../../../../src/main/ml/train/replica'
import {
  loadModelDirectory, memoryModelFromBuffer, memoryModelToBuffer, modelFromMemory, modelToMemory,
  packTrainingState, quantizeWeights, readModelDirectory, saveModelDirectory, unpackTrainingState
} from '../../../../src/main/ml/model/tfjs-io'

const S = 32
/** Outputs equal up to float rounding (the first product with a new weight takes the unpacked path). */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length)
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]))
  expect(d).toBeLessThan(1e-5)
}
function input(): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: 3 * S * S * 3 }, (_, i) => Math.sin(i * 0.37)), [3, S, S, 3])
}

beforeAll(async () => {
  await initBackend('wasm')
})

describe('model IO', () => {
  it('round-trips a model through memory and a Buffer (SQLite BLOB) with identical outputs', async () => {
    const model = buildModel(specFor('wnet', { inputSize: S, seed: 4 }))
    const x = input()
    const before = (model.predict(x) as tf.Tensor).dataSync()
    const mem = await modelToMemory(model, { architecture: 'wnet', classes: ['a'] })
    const buf = memoryModelToBuffer(mem)
    const back = memoryModelFromBuffer(buf)
    expect(back.userDefinedMetadata).toEqual({ architecture: 'wnet', classes: ['a'] })
    const loaded = await modelFromMemory(back)
    expectClose((loaded.predict(x) as tf.Tensor).dataSync(), before)
    // Bit-identical weights (a plain loop: deep equality on 1M floats is slow in expect).
    const wa = flattenWeights(loaded)
    const wb = flattenWeights(model)
    expect(wa.length).toBe(wb.length)
    let same = true
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) same = false
    expect(same).toBe(true)
  })

  it('writes a standard tfjs layers-model directory that tf.loadLayersModel reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wbc-model-'))
    const model = buildModel(specFor('wnet', { inputSize: S, seed: 5 }))
    await saveModelDirectory(model, dir, { metadata: { inputSize: S } })
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    expect(json.format).toBe('layers-model')
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin'])
    // Load it the way another tfjs tool would: through tfjs' own IO handler on the files' bytes.
    const bytes = readFileSync(join(dir, 'weights.bin'))
    const other = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })
    )
    const x = input()
    expectClose((other.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync())
    const ours = await loadModelDirectory(dir)
    expectClose((ours.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync())
  })

  it('8-bit quantisation shrinks the weights ~4x and keeps outputs close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wbc-q8-'))
    const model = buildModel(specFor('wnet', { inputSize: S, seed: 6 }))
    const full = await saveModelDirectory(model, join(dir, 'f32'))
    const q = await saveModelDirectory(model, join(dir, 'u8'), { quantization: 'uint8' })
    expect(statSync(join(dir, 'u8', 'weights.bin')).size).toBe(q.weightsBytes)
    expect(q.weightsBytes).toBeLessThan(full.weightsBytes / 3.9)
    const json = JSON.parse(readFileSync(join(dir, 'u8', 'model.json'), 'utf8'))
    expect(json.weightsManifest[0].weights[0].quantization.dtype).toBe('uint8')
    const mem = await readModelDirectory(join(dir, 'u8'))
    const loaded = await modelFromMemory(mem)
    const x = input()
    const a = (model.predict(x) as tf.Tensor).dataSync()
    const b = (loaded.predict(x) as tf.Tensor).dataSync()
    let maxDiff = 0
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]))
    expect(maxDiff).toBeLessThan(0.05)
    expect(maxDiff).toBeGreaterThan(0) // it really was quantised
    // Each weight within half a quantisation step of the original.
    const w = new Float32Array([0, 0.5, -1, 2])
    const qq = quantizeWeights([{ name: 'w', shape: [4], dtype: 'float32' }], w.buffer, 'uint8')
    const back = tf.io.decodeWeights(qq.data, qq.specs).w.dataSync()
    const step = 3 / 255
    w.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(step / 2 + 1e-6))
  })

  it('packs and unpacks the training state of an unfinished run', () => {
    const w = Float32Array.from({ length: 10 }, (_, i) => i / 3)
    const m = Float32Array.from({ length: 10 }, (_, i) => -i)
    const v = Float32Array.from({ length: 10 }, (_, i) => i * i)
    const s = unpackTrainingState(packTrainingState({ meta: { step: 12, epoch: 2, rngState: 99 }, weights: w, adamM: m, adamV: v }))
    expect(s.meta).toEqual({ step: 12, epoch: 2, rngState: 99 })
    expect(s.weights).toEqual(w)
    expect(s.adamM).toEqual(m)
    expect(s.adamV).toEqual(v)
  })
})
