// Architectures: W-Net's parameter count as the paper states, and one real
// training step of every selectable network at test size.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../../src/main/ml/model/tfjs-backend'
import { ARCHITECTURES, buildModel, countTrainableParams, specFor, WNET_PARAMS } from '../../../../src/main/ml/model/architectures/index'
import { Replica, flattenWeights } from '../../../../src/main/ml/train/replica'
import { adamStep } from '../../../../src/main/ml/train/kernels/adam'

beforeAll(async () => {
  await initBackend('wasm')
})

describe('W-Net as the paper', () => {
  it('has 16,806,949 trainable parameters at 128x128x3 with 5 classes', () => {
    const model = buildModel(specFor('wnet'))
    expect(countTrainableParams(model)).toBe(WNET_PARAMS)
    expect(countTrainableParams(model)).toBe(16_806_949)
    expect(model.inputs[0].shape).toEqual([null, 128, 128, 3])
    expect(model.outputs[0].shape).toEqual([null, 5])
    const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D')
    expect(convs.map((l) => (l.getConfig() as { filters: number }).filters)).toEqual([16, 32, 64])
    for (const c of convs) {
      const cfg = c.getConfig() as {
        kernelSize: number[]; strides: number[]; padding: string; activation: string
        kernelInitializer: { className: string; config: { scale: number; mode: string; distribution: string } }
      }
      expect(cfg.kernelSize).toEqual([3, 3])
      expect(cfg.strides).toEqual([1, 1])
      expect(cfg.padding).toBe('same')
      expect(cfg.activation).toBe('relu')
      // Glorot (Xavier) uniform serialises as VarianceScaling(scale 1, fan_avg, uniform).
      expect(cfg.kernelInitializer.className).toBe('VarianceScaling')
      expect(cfg.kernelInitializer.config).toMatchObject({ scale: 1, mode: 'fanAvg', distribution: 'uniform' })
    }
    const drops = model.layers.filter((l) => l.getClassName() === 'Dropout')
    expect(drops.map((l) => (l.getConfig() as { rate: number }).rate)).toEqual([0.6, 0.6, 0.6, 0.6])
    const last = model.layers[model.layers.length - 1].getConfig() as { units: number; activation: string }
    expect(last).toMatchObject({ units: 5, activation: 'softmax' })
    model.dispose()
  })

  it('W-Net-SVM is the same network with a linear output', () => {
    const model = buildModel(specFor('wnet-svm'))
    expect(countTrainableParams(model)).toBe(WNET_PARAMS)
    expect((model.layers[model.layers.length - 1].getConfig() as { activation: string }).activation).toBe('linear')
    model.dispose()
  })

  it('the same seed gives the same initial weights, another seed others', () => {
    const a = flattenWeights(buildModel(specFor('lstm', { inputSize: 32, seed: 3 })))
    const b = flattenWeights(buildModel(specFor('lstm', { inputSize: 32, seed: 3 })))
    const c = flattenWeights(buildModel(specFor('lstm', { inputSize: 32, seed: 4 })))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
  })
})

describe('every architecture trains one step at 32 px', () => {
  const S = 32
  const n = 4
  const pixels = Uint8Array.from({ length: n * S * S * 3 }, (_, i) => (i * 37 + (i >> 7) * 11) & 255)
  const labels = Int32Array.from([0, 1, 2, 3])
  for (const arch of ARCHITECTURES) {
    it(arch, () => {
      const r = new Replica(specFor(arch, { inputSize: S }))
      const P = r.layout.total
      const w = flattenWeights(r.model)
      const before = w.slice()
      const g = new Float32Array(P)
      r.load(w, 0)
      const res = r.gradients(pixels, labels, Int32Array.from([0, 1, 2, 3]), undefined, undefined, n, g)
      expect(Number.isFinite(res.lossSum)).toBe(true)
      expect(res.count).toBe(n)
      let gnorm = 0
      for (const [s, e] of r.layout.trainableRanges) for (let i = s; i < e; i++) gnorm += g[i] * g[i]
      expect(gnorm).toBeGreaterThan(0)
      expect(Number.isFinite(gnorm)).toBe(true)
      const m = new Float32Array(P)
      const v = new Float32Array(P)
      for (const [s, e] of r.layout.trainableRanges) adamStep(w, m, v, g, 1, { learningRate: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, s, e)
      r.load(w, 1)
      const after = flattenWeights(r.model)
      let changed = 0
      for (let i = 0; i < P; i++) if (after[i] !== before[i]) changed++
      expect(changed).toBeGreaterThan(P / 4)
      const scores = r.predict(pixels, [0, 1], 2)
      expect(scores.length).toBe(2 * 5)
      r.dispose()
      expect(tf.memory().numTensors).toBeLessThan(2000)
    })
  }
})
