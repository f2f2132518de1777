// The DCGAN the W-Net paper trains per class to generate cells, and its
// presets.
//
// Generator: a dense layer from the latent vector to a 4x4 map, then 6
// convolutional layers (each of the first ones after a 2x upsampling, until
// the output size is reached), each but the last followed by batch
// normalisation, ReLU and dropout; the last has 3 filters and a sigmoid, so a
// cell comes out as RGB in [0, 1]. Discriminator: 6 convolutional layers (stride
// 2 until 4x4, stride 1 after), each followed by LeakyReLU (alpha 0.2) and
// dropout (0.6 in the paper preset), then a dense layer with a sigmoid output.
//
// The paper gives "learning rate 1e-5, momentum 0.9, batch size 1". We read the
// momentum as Adam's beta1 = 0.9 (Adam's first-moment decay is a momentum term,
// and DCGANs are trained with Adam); SGD with momentum 0.9 at 1e-5 barely moves
// a GAN in any budget a workstation has. Filter counts and the generator's
// dropout rate are not given in the paper: the figures below are ours.
//
// The discriminator's sigmoid is a separate layer after a linear 'logit' dense
// layer, so training can use the numerically stable loss on the logit while
// the model still ends in the paper's sigmoid.
import * as tf from '@tensorflow/tfjs'
import { GAN_PRESET_NAMES, type GanPresetName } from '../../shared/models'

export interface GanSettings {
  /** Output side in pixels (a power of two, 8 .. 256). */
  size: number
  latentDim: number
  batchSize: number
  generator: {
    /** Filters of the 6 conv layers; the last must be 3 (RGB). */
    filters: number[]
    dropout: number
    batchNormMomentum: number
    /**
     * Where the 2x upsamplings go: 'first' (absent: the layout of generators
     * trained before #13) upsamples before the first layers, so three of the
     * six convolutions of a 64 px generator run at full size; 'last' keeps the
     * extra stride-1 layers at 4x4 and upsamples before the last ones, as the
     * usual DCGAN does: far less arithmetic per step for more filters.
     */
    upsample?: 'first' | 'last'
  }
  discriminator: {
    /** Filters of the 6 conv layers. */
    filters: number[]
    dropout: number
    leakyAlpha: number
  }
  /** Adam for both networks. */
  optimizer: { learningRate: number; beta1: number; beta2: number; epsilon: number }
  /** Target for real cells in the discriminator's loss (1 = none; 0.9 = one-sided label smoothing). */
  realLabel: number
  /**
   * Class-conditional GAN: the class names, in label order. The generator
   * takes a one-hot label beside the latent vector (concatenated before its
   * dense layer); the discriminator takes the same label and adds a
   * projection term (Miyato & Koyama 2018) to its logit: an embedding of the
   * label dotted with its last features. Absent: one GAN per class.
   */
  classes?: string[]
  /** Random flips / 90-degree rotations of real cells (cells have no orientation). */
  augment: boolean
  seed: number
}

const ADAM = { beta2: 0.999, epsilon: 1e-7 }

export const PRESET_SETTINGS: Record<GanPresetName, GanSettings> = {
  // As the paper: 128x128x3, batch 1, learning rate 1e-5, momentum 0.9, D dropout 0.6.
  paper: {
    size: 128,
    latentDim: 100,
    batchSize: 1,
    generator: { filters: [256, 128, 64, 32, 16, 3], dropout: 0.2, batchNormMomentum: 0.9 },
    discriminator: { filters: [16, 32, 64, 128, 256, 256], dropout: 0.6, leakyAlpha: 0.2 },
    optimizer: { learningRate: 1e-5, beta1: 0.9, ...ADAM },
    realLabel: 1,
    augment: false,
    seed: 1
  },
  // Sized for a 2-core workstation: 64 px, fewer filters, batch 16, and the
  // usual DCGAN optimiser (Adam 2e-4, beta1 0.5), lighter D dropout.
  cpu: {
    size: 64,
    latentDim: 64,
    batchSize: 16,
    // Upsampling last (#13): 2.x times fewer multiply-adds than the first
    // layout with twice the filters at 4x4 and 8x8 (BENCHMARKS.md, bench:gan).
    generator: { filters: [128, 64, 64, 32, 16, 3], dropout: 0.1, batchNormMomentum: 0.9, upsample: 'last' },
    discriminator: { filters: [16, 32, 32, 64, 64, 64], dropout: 0.3, leakyAlpha: 0.2 },
    optimizer: { learningRate: 2e-4, beta1: 0.5, ...ADAM },
    realLabel: 0.9,
    augment: true,
    seed: 1
  },
  // For tests: 16 px, a handful of filters.
  tiny: {
    size: 16,
    latentDim: 16,
    batchSize: 8,
    generator: { filters: [16, 8, 8, 8, 8, 3], dropout: 0.1, batchNormMomentum: 0.9 },
    discriminator: { filters: [8, 8, 16, 16, 16, 16], dropout: 0.3, leakyAlpha: 0.2 },
    optimizer: { learningRate: 2e-4, beta1: 0.5, ...ADAM },
    realLabel: 0.9,
    augment: true,
    seed: 1
  }
}

/** The `cpu` preset as it was before #13 (upsampling first, fewer filters): kept for the benchmark and for resuming older runs. */
export const CPU_PRESET_BEFORE_13: GanSettings = {
  ...PRESET_SETTINGS.cpu,
  generator: { filters: [64, 32, 16, 16, 8, 3], dropout: 0.1, batchNormMomentum: 0.9 }
}

/**
 * One class-conditional GAN for all five WBC types (#13), sized like the
 * `cpu` preset: 64 px, batch 20 (four cells of each class per step, drawn
 * class-balanced), the same generator layout, a discriminator with more
 * filters in its last (4x4 and 8x8) layers.
 */
export const FIVE_CLASS_SETTINGS: GanSettings = {
  size: 64,
  latentDim: 64,
  batchSize: 20,
  generator: { filters: [128, 64, 64, 32, 16, 3], dropout: 0.1, batchNormMomentum: 0.9, upsample: 'last' },
  discriminator: { filters: [16, 32, 64, 64, 128, 128], dropout: 0.3, leakyAlpha: 0.2 },
  optimizer: { learningRate: 2e-4, beta1: 0.5, ...ADAM },
  realLabel: 0.9,
  classes: ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte'],
  augment: true,
  seed: 1
}

/** Whether layer i of the generator (0..5) upsamples first. */
export function upsamplesBefore(s: GanSettings, i: number): boolean {
  const up = doublings(s.size)
  return s.generator.upsample === 'last' ? i >= 6 - up : i < up
}

export function isGanPreset(s: string): s is GanPresetName {
  return (GAN_PRESET_NAMES as readonly string[]).includes(s)
}

/** A preset's settings with overrides (a fresh deep copy). */
export function ganSettings(preset: GanPresetName, over: Partial<Omit<GanSettings, 'generator' | 'discriminator' | 'optimizer'>> & {
  generator?: Partial<GanSettings['generator']>
  discriminator?: Partial<GanSettings['discriminator']>
  optimizer?: Partial<GanSettings['optimizer']>
} = {}): GanSettings {
  const base = PRESET_SETTINGS[preset]
  const s: GanSettings = {
    ...base,
    ...over,
    generator: { ...base.generator, ...over.generator, filters: [...(over.generator?.filters ?? base.generator.filters)] },
    discriminator: { ...base.discriminator, ...over.discriminator, filters: [...(over.discriminator?.filters ?? base.discriminator.filters)] },
    optimizer: { ...base.optimizer, ...over.optimizer }
  }
  validateSettings(s)
  return s
}

/** Number of stride-2 layers from 4x4 to `size`. */
function doublings(size: number): number {
  const d = Math.log2(size / 4)
  return d
}

export function validateSettings(s: GanSettings): void {
  const d = doublings(s.size)
  if (!Number.isInteger(d) || d < 1 || d > 6) throw new Error(`GAN size must be a power of two from 8 to 256 (got ${s.size})`)
  if (s.generator.filters.length !== 6 || s.discriminator.filters.length !== 6) throw new Error('generator and discriminator have 6 conv layers each')
  if (s.generator.filters[5] !== 3) throw new Error('the generator\'s last conv layer has 3 filters (RGB)')
  if (!(s.batchSize >= 1) || !Number.isInteger(s.batchSize)) throw new Error('batch size must be a positive integer')
  if (!(s.latentDim >= 1)) throw new Error('latent dimension must be positive')
  if (s.classes && (s.classes.length < 2 || new Set(s.classes).size !== s.classes.length)) throw new Error('a conditional GAN needs two or more distinct classes')
}

/** Seeded Glorot-uniform initialisers, numbered in build order. */
class Init {
  private n = 0
  constructor(private readonly seed: number) {}
  next() {
    return tf.initializers.glorotUniform({ seed: this.seed * 1000 + this.n++ })
  }
}

export function buildGenerator(s: GanSettings): tf.LayersModel {
  validateSettings(s)
  const init = new Init(s.seed)
  const f = s.generator.filters
  const z = tf.input({ shape: [s.latentDim], name: 'latent' })
  const label = s.classes ? tf.input({ shape: [s.classes.length], name: 'label' }) : undefined
  const zin = label ? (tf.layers.concatenate({ name: 'g_concat' }).apply([z, label]) as tf.SymbolicTensor) : z
  let x = tf.layers.dense({ units: 4 * 4 * f[0], kernelInitializer: init.next(), name: 'g_dense' }).apply(zin) as tf.SymbolicTensor
  x = tf.layers.reshape({ targetShape: [4, 4, f[0]], name: 'g_reshape' }).apply(x) as tf.SymbolicTensor
  x = tf.layers.batchNormalization({ momentum: s.generator.batchNormMomentum, name: 'g_bn0' }).apply(x) as tf.SymbolicTensor
  x = tf.layers.reLU({ name: 'g_relu0' }).apply(x) as tf.SymbolicTensor
  for (let i = 0; i < 6; i++) {
    const last = i === 5
    // A bias before batch normalisation is cancelled by it: only the last layer has one.
    const common = { filters: f[i], padding: 'same' as const, useBias: last, kernelInitializer: init.next(), name: `g_conv${i + 1}`, activation: last ? ('sigmoid' as const) : ('linear' as const) }
    // The first (or, with upsample 'last', the last) log2(size/4) layers double
    // the size first (nearest-neighbour upsampling, then a 3x3 convolution: the
    // "resize-convolution" that avoids the checkerboard of stride-2 transposed
    // convolutions and runs on wasm's fast stride-1 convolution kernels).
    if (upsamplesBefore(s, i)) x = tf.layers.upSampling2d({ size: [2, 2], name: `g_up${i + 1}` }).apply(x) as tf.SymbolicTensor
    x = tf.layers.conv2d({ ...common, kernelSize: 3, strides: 1 }).apply(x) as tf.SymbolicTensor
    if (last) break
    x = tf.layers.batchNormalization({ momentum: s.generator.batchNormMomentum, name: `g_bn${i + 1}` }).apply(x) as tf.SymbolicTensor
    x = tf.layers.reLU({ name: `g_relu${i + 1}` }).apply(x) as tf.SymbolicTensor
    if (s.generator.dropout > 0) x = tf.layers.dropout({ rate: s.generator.dropout, name: `g_dropout${i + 1}` }).apply(x) as tf.SymbolicTensor
  }
  return tf.model({ inputs: label ? [z, label] : z, outputs: x, name: 'generator' })
}

export interface Discriminator {
  /** Ends in the sigmoid: probability that a cell is real. */
  model: tf.LayersModel
  /** The same weights up to the linear logit (for the loss). */
  logits: tf.LayersModel
}

export function buildDiscriminator(s: GanSettings): Discriminator {
  validateSettings(s)
  const init = new Init(s.seed + 7919)
  const down = doublings(s.size)
  const input = tf.input({ shape: [s.size, s.size, 3], name: 'cell' })
  let x: tf.SymbolicTensor = input
  s.discriminator.filters.forEach((filters, i) => {
    const stride = i < down ? 2 : 1
    x = tf.layers
      .conv2d({ filters, kernelSize: stride === 2 ? 4 : 3, strides: stride, padding: 'same', kernelInitializer: init.next(), name: `d_conv${i + 1}` })
      .apply(x) as tf.SymbolicTensor
    x = tf.layers.leakyReLU({ alpha: s.discriminator.leakyAlpha, name: `d_lrelu${i + 1}` }).apply(x) as tf.SymbolicTensor
    if (s.discriminator.dropout > 0) x = tf.layers.dropout({ rate: s.discriminator.dropout, name: `d_dropout${i + 1}` }).apply(x) as tf.SymbolicTensor
  })
  x = tf.layers.flatten({ name: 'd_flatten' }).apply(x) as tf.SymbolicTensor
  let logit = tf.layers.dense({ units: 1, kernelInitializer: init.next(), name: 'd_logit' }).apply(x) as tf.SymbolicTensor
  const label = s.classes ? tf.input({ shape: [s.classes.length], name: 'label' }) : undefined
  if (label) {
    // Projection: logit += <embed(label), features>.
    const features = x.shape[1] as number
    const embed = tf.layers.dense({ units: features, useBias: false, kernelInitializer: init.next(), name: 'd_embed' }).apply(label) as tf.SymbolicTensor
    const proj = tf.layers.dot({ axes: -1, name: 'd_project' }).apply([x, embed]) as tf.SymbolicTensor
    logit = tf.layers.add({ name: 'd_logit_cond' }).apply([logit, proj]) as tf.SymbolicTensor
  }
  const prob = tf.layers.activation({ activation: 'sigmoid', name: 'd_sigmoid' }).apply(logit) as tf.SymbolicTensor
  const inputs = label ? [input, label] : input
  return {
    model: tf.model({ inputs, outputs: prob, name: 'discriminator' }),
    logits: tf.model({ inputs, outputs: logit, name: 'discriminator_logits' })
  }
}

/** Total floats in a model's weights (trainable and not), the length of its flat weights. */
export function weightCount(model: tf.LayersModel): number {
  return model.weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0)
}

/** All of a model's weights (BatchNorm moving statistics included) as one flat array, in model.weights order. */
export function getFlatWeights(model: tf.LayersModel): Float32Array {
  const out = new Float32Array(weightCount(model))
  let off = 0
  for (const w of model.weights) {
    const d = w.read().dataSync() as Float32Array
    out.set(d, off)
    off += d.length
  }
  return out
}

export function setFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const total = weightCount(model)
  if (flat.length !== total) throw new Error(`weights have ${flat.length} values, the model ${total}`)
  let off = 0
  tf.tidy(() => {
    for (const w of model.weights) {
      const shape = w.shape.map((d) => d ?? 1)
      const n = shape.reduce((a, b) => a * b, 1)
      w.write(tf.tensor(flat.slice(off, off + n), shape, 'float32'))
      off += n
    }
  })
}

/**
 * Cells from latent vectors (n x latentDim) with the generator in inference
 * mode (BatchNorm moving statistics, no dropout), as uint8 RGB (n x S x S x 3).
 */
export function generatePixels(generator: tf.LayersModel, latents: Float32Array, latentDim: number, batch = 64, labels?: { index: number | Int32Array; classes: number }): Uint8Array {
  const n = latents.length / latentDim
  const S = (generator.outputs[0].shape[1] as number) ?? 0
  const per = S * S * 3
  const out = new Uint8Array(n * per)
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start)
    const data = tf.tidy(() => {
      const z = tf.tensor2d(latents.subarray(start * latentDim, (start + m) * latentDim), [m, latentDim])
      const y = (labels ? generator.predict([z, oneHotRows(labels, start, m)]) : generator.predict(z)) as tf.Tensor
      return y.mul(255).round().clipByValue(0, 255).dataSync() as Float32Array
    })
    for (let i = 0; i < data.length; i++) out[start * per + i] = data[i]
  }
  return out
}

/** One-hot rows [m, classes] for cells start..start+m-1: one class for all, or one per cell. */
export function oneHotRows(labels: { index: number | Int32Array; classes: number }, start: number, m: number): tf.Tensor2D {
  const out = new Float32Array(m * labels.classes)
  for (let k = 0; k < m; k++) {
    const c = typeof labels.index === 'number' ? labels.index : labels.index[start + k]
    if (!(c >= 0 && c < labels.classes)) throw new Error(`class index ${c} out of range`)
    out[k * labels.classes + c] = 1
  }
  return tf.tensor2d(out, [m, labels.classes])
}
