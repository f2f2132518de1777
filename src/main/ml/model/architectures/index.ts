// The networks the workstation trains: W-Net exactly as the paper, its SVM
// variant, and the paper's comparison networks. Each is a plain tf.layers
// model (standard topology, so a saved model.json loads in any tfjs tool);
// the input size is configurable so tests can use 32 px.
import * as tf from '@tensorflow/tfjs'
import { WBC_CLASSES } from '../../../../shared/cells'
import { MODEL_ARCHITECTURES, DEFAULT_ARCHITECTURE_INPUT, type ModelArchitecture, type InputNormalisation } from '../../../../shared/models'

// The list lives in src/shared so the UI offers exactly what the core builds.
export const ARCHITECTURES = MODEL_ARCHITECTURES
export type Architecture = ModelArchitecture

export type LossKind = 'crossentropy' | 'hinge'

export interface ModelSpec {
  architecture: Architecture
  /** Square input side in pixels (W-Net: 128, AlexNet: 224). */
  inputSize: number
  numClasses: number
  /** Seed of the weight initialisers (Glorot/Xavier uniform). */
  seed: number
  /**
   * The input colour normalisation the network is trained and run with
   * (../data/input-normalisation.ts); absent is 'none'. Left out rather than
   * 'none' so the checkpoints of runs made before it existed still match.
   */
  inputNormalisation?: InputNormalisation
}

export const DEFAULT_INPUT_SIZE: Record<Architecture, number> = DEFAULT_ARCHITECTURE_INPUT

/** W-Net at 128 px, 5 classes: the number the paper reports. */
export const WNET_PARAMS = 16_806_949

export function isArchitecture(s: string): s is Architecture {
  return (ARCHITECTURES as readonly string[]).includes(s)
}

export function lossOf(architecture: Architecture): LossKind {
  return architecture === 'wnet-svm' ? 'hinge' : 'crossentropy'
}

export function specFor(architecture: Architecture, over: Partial<Omit<ModelSpec, 'architecture'>> = {}): ModelSpec {
  return {
    architecture,
    inputSize: over.inputSize ?? DEFAULT_INPUT_SIZE[architecture],
    numClasses: over.numClasses ?? WBC_CLASSES.length,
    seed: over.seed ?? 1
  }
}

class Init {
  private n = 0
  constructor(private readonly seed: number) {}
  glorot() {
    return tf.initializers.glorotUniform({ seed: this.seed * 1000 + this.n++ })
  }
  orthogonal() {
    return tf.initializers.orthogonal({ gain: 1, seed: this.seed * 1000 + this.n++ })
  }
}

function head(x: tf.SymbolicTensor, spec: ModelSpec, init: Init): tf.SymbolicTensor {
  const svm = spec.architecture === 'wnet-svm'
  return tf.layers
    .dense({ units: spec.numClasses, activation: svm ? 'linear' : 'softmax', kernelInitializer: init.glorot(), name: 'output' })
    .apply(x) as tf.SymbolicTensor
}

/** W-Net: 3 x (conv 3x3 same + ReLU, maxpool 2x2/2, dropout 0.6), dense 1024 + dropout 0.6, dense 5. */
function wnet(spec: ModelSpec, init: Init): tf.LayersModel {
  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, 3], name: 'cell' })
  let x: tf.SymbolicTensor = input
  ;[16, 32, 64].forEach((filters, i) => {
    x = tf.layers
      .conv2d({ filters, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu', kernelInitializer: init.glorot(), name: `conv${i + 1}` })
      .apply(x) as tf.SymbolicTensor
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${i + 1}` }).apply(x) as tf.SymbolicTensor
    x = tf.layers.dropout({ rate: 0.6, name: `dropout${i + 1}` }).apply(x) as tf.SymbolicTensor
  })
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor
  x = tf.layers.dense({ units: 1024, activation: 'relu', kernelInitializer: init.glorot(), name: 'fc1' }).apply(x) as tf.SymbolicTensor
  x = tf.layers.dropout({ rate: 0.6, name: 'dropout4' }).apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: head(x, spec, init), name: spec.architecture })
}

function conv(x: tf.SymbolicTensor, init: Init, filters: number, kernelSize: number, strides = 1, activation: 'relu' | 'linear' = 'relu', padding: 'same' | 'valid' = 'same', useBias = true) {
  return tf.layers.conv2d({ filters, kernelSize, strides, padding, activation, useBias, kernelInitializer: init.glorot() }).apply(x) as tf.SymbolicTensor
}
function maxPool(x: tf.SymbolicTensor, pool: number, stride: number) {
  return tf.layers.maxPooling2d({ poolSize: pool, strides: stride, padding: 'same' }).apply(x) as tf.SymbolicTensor
}
function dense(x: tf.SymbolicTensor, init: Init, units: number, dropout: number) {
  x = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init.glorot() }).apply(x) as tf.SymbolicTensor
  return tf.layers.dropout({ rate: dropout }).apply(x) as tf.SymbolicTensor
}

/** AlexNet (Krizhevsky 2012, single-tower); pools use same padding so small test inputs still work. */
function alexnet(spec: ModelSpec, init: Init): tf.LayersModel {
  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, 3] })
  let x = conv(input, init, 96, 11, 4, 'relu', 'valid')
  x = maxPool(x, 3, 2)
  x = conv(x, init, 256, 5)
  x = maxPool(x, 3, 2)
  x = conv(x, init, 384, 3)
  x = conv(x, init, 384, 3)
  x = conv(x, init, 256, 3)
  x = maxPool(x, 3, 2)
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor
  x = dense(x, init, 4096, 0.5)
  x = dense(x, init, 4096, 0.5)
  return tf.model({ inputs: input, outputs: head(x, spec, init), name: 'alexnet' })
}

function vgg16(spec: ModelSpec, init: Init): tf.LayersModel {
  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, 3] })
  let x: tf.SymbolicTensor = input
  for (const [filters, n] of [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]]) {
    for (let i = 0; i < n; i++) x = conv(x, init, filters, 3)
    x = maxPool(x, 2, 2)
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor
  x = dense(x, init, 4096, 0.5)
  x = dense(x, init, 4096, 0.5)
  return tf.model({ inputs: input, outputs: head(x, spec, init), name: 'vgg16' })
}

function bn(x: tf.SymbolicTensor) {
  return tf.layers.batchNormalization({ axis: -1 }).apply(x) as tf.SymbolicTensor
}
function relu(x: tf.SymbolicTensor) {
  return tf.layers.activation({ activation: 'relu' }).apply(x) as tf.SymbolicTensor
}
function add(a: tf.SymbolicTensor, b: tf.SymbolicTensor) {
  return tf.layers.add().apply([a, b]) as tf.SymbolicTensor
}

function basicBlock(x: tf.SymbolicTensor, init: Init, filters: number, stride: number): tf.SymbolicTensor {
  let y = relu(bn(conv(x, init, filters, 3, stride, 'linear', 'same', false)))
  y = bn(conv(y, init, filters, 3, 1, 'linear', 'same', false))
  const inC = x.shape[x.shape.length - 1]
  const shortcut = stride !== 1 || inC !== filters ? bn(conv(x, init, filters, 1, stride, 'linear', 'same', false)) : x
  return relu(add(y, shortcut))
}

function bottleneck(x: tf.SymbolicTensor, init: Init, filters: number, stride: number): tf.SymbolicTensor {
  let y = relu(bn(conv(x, init, filters, 1, 1, 'linear', 'same', false)))
  y = relu(bn(conv(y, init, filters, 3, stride, 'linear', 'same', false)))
  y = bn(conv(y, init, filters * 4, 1, 1, 'linear', 'same', false))
  const inC = x.shape[x.shape.length - 1]
  const shortcut = stride !== 1 || inC !== filters * 4 ? bn(conv(x, init, filters * 4, 1, stride, 'linear', 'same', false)) : x
  return relu(add(y, shortcut))
}

function resnet(spec: ModelSpec, init: Init, depth: 18 | 50): tf.LayersModel {
  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, 3] })
  let x = relu(bn(conv(input, init, 64, 7, 2, 'linear', 'same', false)))
  x = maxPool(x, 3, 2)
  const blocks = depth === 18 ? [2, 2, 2, 2] : [3, 4, 6, 3]
  ;[64, 128, 256, 512].forEach((filters, stage) => {
    for (let i = 0; i < blocks[stage]; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1
      x = depth === 18 ? basicBlock(x, init, filters, stride) : bottleneck(x, init, filters, stride)
    }
  })
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: head(x, spec, init), name: `resnet${depth}` })
}

/** One LSTM layer (32 units) reading the image's rows as time steps (each row's pixels x RGB as features). */
function lstm(spec: ModelSpec, init: Init): tf.LayersModel {
  const s = spec.inputSize
  const input = tf.input({ shape: [s, s, 3] })
  let x = tf.layers.reshape({ targetShape: [s, s * 3] }).apply(input) as tf.SymbolicTensor
  x = tf.layers.lstm({ units: 32, kernelInitializer: init.glorot(), recurrentInitializer: init.orthogonal() }).apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: head(x, spec, init), name: 'lstm' })
}

export function buildModel(spec: ModelSpec): tf.LayersModel {
  const init = new Init(spec.seed)
  switch (spec.architecture) {
    case 'wnet':
    case 'wnet-svm':
      return wnet(spec, init)
    case 'alexnet':
      return alexnet(spec, init)
    case 'vgg16':
      return vgg16(spec, init)
    case 'resnet18':
      return resnet(spec, init, 18)
    case 'resnet50':
      return resnet(spec, init, 50)
    case 'lstm':
      return lstm(spec, init)
  }
}

export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0)
}
