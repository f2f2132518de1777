// The DCGAN's training-mode forward passes, written as plain tf ops over the
// layers models' own variables.
//
// Why not `model.apply(x, {training: true})`: profiling a `cpu`-preset step
// (64 px, batch 16, wasm) showed two costs that come from the layers API, not
// from the arithmetic:
// - tfjs-layers runs convolutions as `tf.fused.conv2d`, whose gradient is a
//   customGrad that computes the input AND the filter gradient of every layer
//   whether or not they are needed: the discriminator's filter gradients in
//   the generator's step, the gradient into the discriminator's input in its
//   own step. `tf.conv2d`'s gradient is lazy, so the tape computes only what
//   the variables being trained need.
// - Batch normalisation's stock gradient tiles the per-channel statistics up
//   to the full activation (the wasm `Tile` kernel alone took a sixth of the
//   step). Our batch norm has its own gradient, per-channel sums only.
// - Dropout: tf.dropout draws its mask element by element through seedrandom
//   and builds it with five elementwise ops; ours draws the mask in one
//   JavaScript loop from a seeded stream (so a resumed run draws the masks the
//   uninterrupted one would have) and multiplies once.
// The maths is the layers models' (same weights, same batch-norm epsilon and
// moving-average update, dropout of the same rate and scaling); test/main/synthetic/gan-forward.test.ts
// checks outputs and gradients against `apply(..., {training: true})`.
import * as tf from '@tensorflow/tfjs'
import { upsamplesBefore, type GanSettings } from './dcgan'

/** A seeded 32-bit stream for dropout masks (state advanced in place). */
export interface MaskStream {
  state: number
}

/** Inverted dropout with a mask drawn from `stream` (xorshift32): kept values are scaled by 1 / (1 - rate). */
export function seededDropout(x: tf.Tensor, rate: number, stream: MaskStream): tf.Tensor {
  const n = x.size
  const keep = 1 - rate
  const scale = 1 / keep
  const threshold = Math.floor(keep * 4294967296)
  const mask = new Float32Array(n)
  let s = stream.state >>> 0 || 0x9e3779b9
  for (let i = 0; i < n; i++) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    mask[i] = s >>> 0 < threshold ? scale : 0
  }
  stream.state = s >>> 0
  return tf.mul(x, tf.tensor(mask, x.shape, 'float32'))
}

function dropout(x: tf.Tensor, rate: number, stream?: MaskStream): tf.Tensor {
  if (!(rate > 0)) return x
  return stream ? seededDropout(x, rate, stream) : tf.dropout(x, rate)
}

/** tfjs-layers' BatchNormalization default. */
const BN_EPSILON = 1e-3

function variable(model: tf.LayersModel, layer: string, weight: string): tf.Tensor {
  const l = model.getLayer(layer)
  // originalName: the engine adds a suffix to `name` when a second model of the same layout exists.
  const w = l.weights.find((v) => v.originalName === `${layer}/${weight}`)
  if (!w) throw new Error(`${layer} has no ${weight}`)
  return w.read()
}

/**
 * Batch normalisation over all axes but the last, with a gradient made of
 * per-channel sums: with xhat = (x - mean) * rstd,
 * dx = rstd * gamma * (dy - mean(dy) - xhat * mean(dy * xhat)).
 * Returns the normalised tensor and the batch mean and (biased) variance.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon = BN_EPSILON): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const axes = x.shape.slice(0, -1).map((_, i) => i)
  const { mean, variance } = tf.moments(x, axes)
  const stats = { mean: tf.keep(mean.clone()), variance: tf.keep(variance.clone()) }
  const op = tf.customGrad(((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const rstd = tf.rsqrt(tf.add(variance, epsilon))
    const xhat = tf.mul(tf.sub(xi, mean), rstd)
    save([xhat, rstd, g])
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved
        const n = xh.size / xh.shape[xh.shape.length - 1]
        const dBeta = tf.sum(dy, axes)
        const dGamma = tf.sum(tf.mul(dy, xh), axes)
        const dx = tf.mul(tf.sub(tf.sub(dy, tf.div(dBeta, n)), tf.mul(xh, tf.div(dGamma, n))), tf.mul(rs, gm))
        return [dx, dGamma, dBeta]
      }
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor
  return { y: op(x, gamma, beta), ...stats }
}

/** moving = moving - (moving - value) * (1 - momentum), as tfjs-layers does in training. */
function updateMoving(model: tf.LayersModel, layer: string, mean: tf.Tensor, variance: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    for (const [name, value] of [['moving_mean', mean], ['moving_variance', variance]] as const) {
      const v = variable(model, layer, name) as tf.Variable
      v.assign(tf.sub(v, tf.mul(tf.sub(v, value), 1 - momentum)))
    }
  })
  tf.dispose([mean, variance])
}

function bnReluDropout(G: tf.LayersModel, s: GanSettings, x: tf.Tensor, i: number, updateStats: boolean, stream?: MaskStream): tf.Tensor {
  const layer = `g_bn${i}`
  const { y, mean, variance } = batchNormTraining(x, variable(G, layer, 'gamma'), variable(G, layer, 'beta'))
  if (updateStats) updateMoving(G, layer, mean, variance, s.generator.batchNormMomentum)
  else tf.dispose([mean, variance])
  return dropout(tf.relu(y), s.generator.dropout, stream)
}

/**
 * The generator in training mode (batch statistics, dropout), the same
 * function as `G.apply(z, {training: true})`; `updateStats` also moves the
 * batch-norm moving averages as that call does. Dropout masks come from
 * `stream` when given (else from tf.dropout).
 */
export function generatorTraining(G: tf.LayersModel, s: GanSettings, z: tf.Tensor, label?: tf.Tensor, stream?: MaskStream, updateStats = true): tf.Tensor {
  const f = s.generator.filters
  const zin = s.classes ? tf.concat([z, label!], 1) : z
  let x: tf.Tensor = tf.matMul(zin as tf.Tensor2D, variable(G, 'g_dense', 'kernel') as tf.Tensor2D)
  x = tf.add(x, variable(G, 'g_dense', 'bias'))
  x = tf.reshape(x, [z.shape[0], 4, 4, f[0]])
  x = bnReluDropout(G, s, x, 0, updateStats, stream)
  for (let i = 0; i < 6; i++) {
    if (upsamplesBefore(s, i)) x = tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [x.shape[1]! * 2, x.shape[2]! * 2])
    x = tf.conv2d(x as tf.Tensor4D, variable(G, `g_conv${i + 1}`, 'kernel') as tf.Tensor4D, 1, 'same')
    if (i === 5) return tf.sigmoid(tf.add(x, variable(G, 'g_conv6', 'bias')))
    x = bnReluDropout(G, s, x, i + 1, updateStats, stream)
  }
  throw new Error('unreachable')
}

/** The discriminator's logit in training mode (dropout on), as `D.logits.apply(x, {training: true})`. */
export function discriminatorTraining(D: tf.LayersModel, s: GanSettings, cells: tf.Tensor, label?: tf.Tensor, stream?: MaskStream): tf.Tensor {
  const down = Math.log2(s.size / 4)
  let x = cells
  for (let i = 0; i < 6; i++) {
    const layer = `d_conv${i + 1}`
    x = tf.conv2d(x as tf.Tensor4D, variable(D, layer, 'kernel') as tf.Tensor4D, i < down ? 2 : 1, 'same')
    x = tf.leakyRelu(tf.add(x, variable(D, layer, 'bias')), s.discriminator.leakyAlpha)
    x = dropout(x, s.discriminator.dropout, stream)
  }
  x = tf.reshape(x, [x.shape[0], -1])
  const logit = tf.add(tf.matMul(x as tf.Tensor2D, variable(D, 'd_logit', 'kernel') as tf.Tensor2D), variable(D, 'd_logit', 'bias'))
  if (!s.classes) return logit
  // Projection term: <embed(label), features>.
  const embed = tf.matMul(label! as tf.Tensor2D, variable(D, 'd_embed', 'kernel') as tf.Tensor2D)
  return tf.add(logit, tf.sum(tf.mul(x, embed), 1, true))
}
