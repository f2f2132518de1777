// The DCGAN on the wasm backend: shapes as the paper, gradients of both losses
// against the cpu backend, a tiny GAN trained a few steps on real basophils
// (checkpoints in the store, resume), and generation with provenance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { initBackend, tf } from '../../../src/main/ml/model/tfjs-backend'
import { buildDiscriminator, buildGenerator, ganSettings, getFlatWeights, setFlatWeights } from '../../../src/main/synthetic/dcgan'
import { trainGenerator } from '../../../src/main/synthetic/generators'
import { generateCells } from '../../../src/main/synthetic/generate'
import { countImages, getGenerator, updateGenerator, listCheckpoints, listSyntheticImages, openStore, syntheticPng, type Db } from '../../../src/main/store/index'
import { datasetPath } from '../../helpers/datasets'

let dir: string
let db: Db
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-gan-'))
  db = openStore(':memory:')
  expect((await initBackend('wasm')).name).toBe('wasm')
})
afterAll(() => {
  db?.close()
  rmSync(dir, { recursive: true, force: true })
})

function convLayers(m: tf.LayersModel) {
  return m.layers.filter((l) => l.getClassName().startsWith('Conv2D'))
}

describe('DCGAN', () => {
  it('has 6 conv layers and 1 dense layer per network, sigmoid outputs, at the paper size', () => {
    const s = ganSettings('paper')
    const g = buildGenerator(s)
    const d = buildDiscriminator(s)
    expect(g.outputs[0].shape).toEqual([null, 128, 128, 3])
    expect(d.model.outputs[0].shape).toEqual([null, 1])
    expect(convLayers(g)).toHaveLength(6)
    expect(convLayers(d.model)).toHaveLength(6)
    expect(g.layers.filter((l) => l.getClassName() === 'Dense')).toHaveLength(1)
    expect(d.model.layers.filter((l) => l.getClassName() === 'Dense')).toHaveLength(1)
    expect(g.layers.filter((l) => l.getClassName() === 'BatchNormalization').length).toBeGreaterThanOrEqual(5)
    expect(d.model.layers.filter((l) => l.getClassName() === 'LeakyReLU')).toHaveLength(6)
    expect(d.model.layers.filter((l) => l.getClassName() === 'Dropout').every((l) => (l.getConfig() as { rate: number }).rate === 0.6)).toBe(true)
    expect((g.layers.at(-1)!.getConfig() as { activation: string }).activation).toBe('sigmoid')
    expect((d.model.layers.at(-1)!.getConfig() as { activation: string }).activation).toBe('sigmoid')
    expect(s.batchSize).toBe(1)
    expect(s.optimizer.learningRate).toBe(1e-5)
    expect(s.optimizer.beta1).toBe(0.9)
    g.dispose()
    d.model.dispose()
  })

  it('upsampling gradient on wasm is the sum over each 2x2 block, also for batches > 1', async () => {
    // (tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad offsets dy by the
    // input's batch stride, so it is wrong for batch > 1; on wasm the 2x case
    // runs the project's kernel, kernels/resize.ts.)
    const [B, h, c] = [3, 4, 5]
    const dyv = Float32Array.from({ length: B * 4 * h * h * c }, (_, i) => Math.sin(i))
    const expected = new Float32Array(B * h * h * c)
    for (let b = 0; b < B; b++)
      for (let y = 0; y < 2 * h; y++)
        for (let x = 0; x < 2 * h; x++)
          for (let k = 0; k < c; k++) expected[((b * h + (y >> 1)) * h + (x >> 1)) * c + k] += dyv[((b * 2 * h + y) * 2 * h + x) * c + k]
    const got = tf.grads((a: tf.Tensor) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [2 * h, 2 * h]))([tf.zeros([B, h, h, c])], tf.tensor(dyv, [B, 2 * h, 2 * h, c]))[0].dataSync()
    expect(tf.getBackend()).toBe('wasm')
    let err = 0
    for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(got[i] - expected[i]))
    expect(err).toBeLessThan(1e-5)
  })

  it('computes the same gradients on wasm as on the cpu backend (upsampling, conv, batch norm, LeakyReLU)', async () => {
    // Batch 1: the cpu backend's upsampling gradient is only right there (see above).
    const s = ganSettings('tiny', { batchSize: 1, generator: { dropout: 0 }, discriminator: { dropout: 0 } })
    const B = s.batchSize
    const run = async (backend: string, gW?: Float32Array, dW?: Float32Array) => {
      await tf.setBackend(backend)
      const G = buildGenerator(s)
      const D = buildDiscriminator(s)
      if (gW) setFlatWeights(G, gW)
      if (dW) setFlatWeights(D.model, dW)
      const weights = { g: getFlatWeights(G), d: getFlatWeights(D.model) }
      const z = tf.tensor2d(Float32Array.from({ length: B * s.latentDim }, (_, i) => Math.sin(i * 1.7)), [B, s.latentDim])
      const x = tf.tensor4d(Float32Array.from({ length: B * s.size * s.size * 3 }, (_, i) => (Math.cos(i * 0.37) + 1) / 2), [B, s.size, s.size, 3])
      const gVars = G.trainableWeights.map((w) => w.read() as tf.Variable)
      const dVars = D.model.trainableWeights.map((w) => w.read() as tf.Variable)
      const t = tf.concat([tf.ones([B, 1]), tf.zeros([B, 1])])
      const dG = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(t, D.logits.apply(tf.concat([x, G.apply(z, { training: true }) as tf.Tensor]), { training: true }) as tf.Tensor) as tf.Scalar, dVars)
      const gG = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(tf.ones([B, 1]), D.logits.apply(G.apply(z, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor) as tf.Scalar, gVars)
      const grads = [...dVars.map((v) => dG.grads[v.name].dataSync() as Float32Array), ...gVars.map((v) => gG.grads[v.name].dataSync() as Float32Array)].map((a) => Float32Array.from(a))
      G.dispose()
      D.model.dispose()
      return { weights, grads }
    }
    const w = await run('wasm')
    const c = await run('cpu', w.weights.g, w.weights.d)
    await tf.setBackend('wasm')
    expect(w.grads.length).toBe(c.grads.length)
    let worst = 0
    w.grads.forEach((a, i) => {
      const b = c.grads[i]
      let num = 0
      let den = 0
      for (let k = 0; k < a.length; k++) {
        num = Math.max(num, Math.abs(a[k] - b[k]))
        den = Math.max(den, Math.abs(b[k]))
      }
      worst = Math.max(worst, num / (den || 1))
    })
    expect(worst).toBeLessThan(1e-3)
  })

  it('trains a tiny GAN a few steps on real basophils, checkpoints into the store, resumes, and generates with provenance', async () => {
    const common = {
      name: 'baso-tiny',
      class: 'basophil',
      preset: 'tiny' as const,
      real: { folder: datasetPath('pbc-wbc') },
      maxReal: 24,
      checkpointDir: join(dir, 'ck'),
      checkpointEvery: 3,
      sampleDir: join(dir, 'samples')
    }
    const first = await trainGenerator(db, { ...common, steps: 6 })
    expect(first.realCells).toBe(24)
    expect(first.train.resumedFromStep).toBe(0)
    expect(first.generator.status).toBe('done')
    expect(first.generator.steps).toBe(6)
    expect(first.train.history.every((h) => Number.isFinite(h.dLoss) && Number.isFinite(h.gLoss))).toBe(true)
    expect(listCheckpoints(db, first.generator.id).map((c) => c.step)).toEqual([3, 6])
    expect(readdirSync(join(dir, 'samples')).sort()).toEqual(['grid-step-0000003.png', 'grid-step-0000006.png'])
    const grid = await sharp(join(dir, 'samples', 'grid-step-0000006.png')).metadata()
    expect(grid.width).toBeGreaterThanOrEqual(4 * 64)

    // Asked for more steps, the same generator resumes from its checkpoint.
    const second = await trainGenerator(db, { ...common, steps: 8 })
    expect(second.train.resumedFromStep).toBe(6)
    expect(second.train.step).toBe(8)
    expect(listCheckpoints(db, first.generator.id).map((c) => c.step)).toEqual([3, 6, 8])

    const gen = await generateCells(db, { generatorId: first.generator.id, count: 5, seed: 42 })
    expect(gen.checkpoint.step).toBe(8)
    expect(gen.ids).toHaveLength(5)
    expect(gen.created).toBe(5)
    const rows = listSyntheticImages(db, { generatorId: first.generator.id })
    expect(rows.map((r) => [r.class, r.seed, r.drawIndex, r.step])).toEqual([0, 1, 2, 3, 4].map((i) => ['basophil', 42, i, 8]))
    const meta = await sharp(syntheticPng(db, rows[0].id)!).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 16, 16])
    // Same (checkpoint, seed, index): the same cells, nothing new stored.
    const again = await generateCells(db, { generatorId: first.generator.id, count: 5, seed: 42 })
    expect(again.created).toBe(0)
    expect(again.ids).toEqual(gen.ids)
    // Distinct cells within a draw, and generated cells never become real images.
    expect(new Set(rows.map((r) => r.sha256)).size).toBe(5)
    expect(countImages(db)).toBe(0)

    // A generator another live process is training is not trained twice.
    const before = getGenerator(db, first.generator.id)!
    updateGenerator(db, before.id, { status: 'training', metricsJson: JSON.stringify({ pid: process.ppid }) })
    await expect(trainGenerator(db, { ...common, steps: 10 })).rejects.toThrow(/being trained by process/)
    updateGenerator(db, before.id, { status: before.status, metricsJson: before.metricsJson })

    // Stored checkpoints are never overwritten by a fresh start when the training state is lost.
    rmSync(join(dir, 'ck'), { recursive: true, force: true })
    await expect(trainGenerator(db, { ...common, steps: 10 })).rejects.toThrow(/training state is gone/)
  })
})
