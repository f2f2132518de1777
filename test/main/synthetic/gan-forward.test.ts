// The DCGAN's hand-written training forward passes (gan-forward.ts) against
// the layers models' own `apply(..., {training: true})`: outputs, gradients
// for both networks' variables, and the batch-norm moving averages. Dropout
// is off so both sides compute the same function; wasm backend throughout
// (the cpu backend's nearest-neighbour gradient is wrong for batch > 1).
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, tf } from '../../../src/main/ml/model/tfjs-backend'
import { buildDiscriminator, buildGenerator, ganSettings, generatePixels, getFlatWeights, oneHotRows, type GanSettings } from '../../../src/main/synthetic/dcgan'
import { trainGan } from '../../../src/main/synthetic/train'
import { batchNormTraining, discriminatorTraining, generatorTraining, seededDropout } from '../../../src/main/synthetic/gan-forward'
import { relErr } from '../../helpers/numeric'

beforeAll(async () => {
  expect((await initBackend('wasm')).name).toBe('wasm')
})

describe('DCGAN training forward passes', () => {
  it('batch norm: value and gradients equal tf autodiff of the textbook formula', () => {
    const x = tf.randomNormal([3, 4, 4, 5], 1, 2, 'float32', 1)
    const g = tf.randomUniform([5], 0.5, 1.5, 'float32', 2)
    const b = tf.randomNormal([5], 0, 1, 'float32', 3)
    const r = tf.randomNormal([3, 4, 4, 5], 0, 1, 'float32', 4)
    const ref = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
      const { mean, variance } = tf.moments(xi, [0, 1, 2])
      return tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-3))), gi), bi)
    }
    const ours = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
      const o = batchNormTraining(xi, gi, bi)
      tf.dispose([o.mean, o.variance])
      return o.y
    }
    const loss = (f: typeof ref) => (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(f(xi, gi, bi), r))
    expect(relErr(ours(x, g, b).dataSync(), ref(x, g, b).dataSync())).toBeLessThan(1e-5)
    const gr = tf.grads(loss(ref))([x, g, b])
    const go = tf.grads(loss(ours))([x, g, b])
    for (let i = 0; i < 3; i++) expect(relErr(go[i].dataSync(), gr[i].dataSync())).toBeLessThan(1e-4)
  })

  it('seeded dropout: keeps about 1 - rate, scales kept values, same stream same mask, gradient through the mask', () => {
    const x = tf.ones([4, 8, 8, 16])
    const a = seededDropout(x, 0.3, { state: 12345 }).dataSync()
    const b = seededDropout(x, 0.3, { state: 12345 }).dataSync()
    const c = seededDropout(x, 0.3, { state: 54321 }).dataSync()
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(Array.from(a)).not.toEqual(Array.from(c))
    const kept = a.filter((v) => v !== 0)
    expect(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true)
    expect(Math.abs(kept.length / a.length - 0.7)).toBeLessThan(0.03)
    // d(sum(dropout(x) * r)) / dx = mask * r
    const r = tf.randomNormal(x.shape, 0, 1, 'float32', 9)
    const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(seededDropout(xi, 0.3, { state: 12345 }), r)))(x).dataSync()
    const rv = r.dataSync()
    let err = 0
    for (let i = 0; i < g.length; i++) err = Math.max(err, Math.abs(g[i] - a[i] * rv[i]))
    expect(err).toBeLessThan(1e-5)
  })

  const cases: { name: string; s: GanSettings }[] = [
    { name: 'one class, upsampling first', s: ganSettings('tiny', { generator: { dropout: 0 }, discriminator: { dropout: 0 } }) },
    { name: 'one class, upsampling last', s: ganSettings('tiny', { generator: { dropout: 0, upsample: 'last' }, discriminator: { dropout: 0 } }) },
    { name: 'conditional (3 classes, projection discriminator)', s: ganSettings('tiny', { classes: ['a', 'b', 'c'], generator: { dropout: 0, upsample: 'last' }, discriminator: { dropout: 0 } }) }
  ]
  for (const { name, s } of cases) {
    it(`${name}: outputs, every gradient and the moving averages match the layers models`, () => {
      const B = 3
      const z = tf.randomNormal([B, s.latentDim], 0, 1, 'float32', 5)
      const real = tf.randomUniform([B, s.size, s.size, 3], 0, 1, 'float32', 6)
      const lab = s.classes ? oneHotRows({ index: Int32Array.from([0, 2, 1]), classes: s.classes.length }, 0, B) : undefined
      const lab2 = lab ? tf.concat([lab, lab], 0) : undefined
      // Two copies of each network with the same initial weights (same seeds).
      const [G1, G2] = [buildGenerator(s), buildGenerator(s)]
      const [D1, D2] = [buildDiscriminator(s), buildDiscriminator(s)]
      expect(relErr(getFlatWeights(G1), getFlatWeights(G2))).toBe(0)
      const vars = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.read() as tf.Variable)
      const run = (fwd: (z: tf.Tensor) => { fake: tf.Tensor; dOut: tf.Tensor }, G: tf.LayersModel, D: tf.LayersModel) => {
        const target = tf.tensor2d([0.9, 0.9, 0.9, 0, 0, 0], [2 * B, 1])
        const out = tf.variableGrads(() => {
          const { dOut } = fwd(z)
          return tf.losses.sigmoidCrossEntropy(target, dOut) as tf.Scalar
        }, [...vars(G), ...vars(D)])
        const { fake, dOut } = fwd(z)
        return { loss: out.value.dataSync()[0], grads: [...vars(G), ...vars(D)].map((v) => out.grads[v.name].dataSync()), fake: fake.dataSync(), dOut: dOut.dataSync() }
      }
      const layers = run((zz) => {
        const fake = G1.apply(lab ? [zz, lab] : zz, { training: true }) as tf.Tensor
        const x = tf.concat([real, fake], 0)
        return { fake, dOut: D1.logits.apply(lab2 ? [x, lab2] : x, { training: true }) as tf.Tensor }
      }, G1, D1.model)
      const ours = run((zz) => {
        const fake = generatorTraining(G2, s, zz, lab)
        return { fake, dOut: discriminatorTraining(D2.model, s, tf.concat([real, fake], 0), lab2) }
      }, G2, D2.model)
      expect(relErr(ours.fake, layers.fake)).toBeLessThan(1e-5)
      expect(relErr(ours.dOut, layers.dOut)).toBeLessThan(1e-5)
      expect(Math.abs(ours.loss - layers.loss)).toBeLessThan(1e-5)
      expect(ours.grads.length).toBe(G1.trainableWeights.length + D1.model.trainableWeights.length)
      ours.grads.forEach((g, i) => expect(relErr(g, layers.grads[i])).toBeLessThan(1e-3))
      // Both sides ran their training forward twice: the moving averages moved alike.
      const fresh = buildGenerator(s)
      expect(relErr(getFlatWeights(G2), getFlatWeights(G1))).toBeLessThan(1e-5)
      expect(relErr(getFlatWeights(G2), getFlatWeights(fresh))).toBeGreaterThan(1e-3)
      for (const m of [G1, G2, D1.model, D2.model, fresh]) m.dispose()
    })
  }

  it('a conditional GAN trains class-balanced and generates each class from its label', async () => {
    const s = ganSettings('tiny', { classes: ['a', 'b'], generator: { upsample: 'last' }, batchSize: 4 })
    const per = s.size * s.size * 3
    // Class a: dark cells; class b: bright ones.
    const n = 10
    const pixels = new Uint8Array(n * per)
    const labels = Uint8Array.from({ length: n }, (_, i) => (i < 7 ? 0 : 1))
    for (let i = 0; i < n; i++) pixels.fill(labels[i] ? 230 : 20, i * per, (i + 1) * per)
    const r = await trainGan({ settings: s, pixels, labels, steps: 3, checkpointEvery: 3 })
    expect(r.step).toBe(3)
    expect(r.lastGridPng).not.toBeNull()
    await expect(trainGan({ settings: s, pixels, steps: 1 })).rejects.toThrow(/class index per real cell/)
    const G = buildGenerator(s)
    const z = new Float32Array(2 * s.latentDim).fill(0.5)
    const px = generatePixels(G, z, s.latentDim, 64, { index: Int32Array.from([0, 1]), classes: 2 })
    expect(px.length).toBe(2 * per)
    // Same latent vector, different label: different cells.
    expect(px.subarray(0, per).some((v, i) => v !== px[per + i])).toBe(true)
    G.dispose()
  })
})
