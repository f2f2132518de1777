// A W-Net-family model (a plain stack of Conv2D / MaxPooling2D / Dropout /
// Flatten / Dense layers) written as an ONNX graph from its tfjs weights, for
// onnxruntime-node's CPU provider (../infer/onnx-runtime.ts), which on the
// 2-core development machines classifies several times faster than the tfjs
// wasm backend (docs/ml-results.md, "Inference speed").
//
// The graph returns everything the workstation's classifier does in one pass:
// class probabilities, the output layer's inputs (features) and pre-softmax
// outputs (logits), and every convolution's per-channel mean and standard
// deviation (the outlier-exposure detector's input; same order as
// ../infer/classifier.ts). Networks with other layers (ResNets, the LSTM) are refused
// with OnnxUnsupported and the caller keeps tfjs.
import { createRequire } from 'node:module'
import type * as tf from '@tensorflow/tfjs'
import type { onnx as OnnxNs } from 'onnx-proto'

// Not named `require`: the electron-vite ESM bundle injects its own `require` shim.
const requireHere = createRequire(import.meta.url)

/** The model has a layer or setting this converter does not write. */
export class OnnxUnsupported extends Error {}

/** ONNX opset the graphs use (ReduceMean still takes axes as an attribute). */
const OPSET = 13
const IR_VERSION = 7
const FLOAT = 1
const INT8 = 3

/**
 * How the graph runs its dense layers: 'float' (float32 throughout), or
 * 'integer': every dense layer but the last as an 8-bit integer product
 * (MatMulInteger), its input quantised per batch as it arrives
 * (DynamicQuantizeLinear: no calibration set) and its weights per output
 * column (symmetric int8), the result scaled back to float32 before the bias.
 * The convolutions stay float32 (ONNX Runtime's ConvInteger ran the W-Net's
 * convolutions 4x slower than its float kernels), and so does the last layer
 * (logits, probabilities).
 */
export type OnnxKernels = 'float' | 'integer'

export const ONNX_INPUT = 'cells'
export const ONNX_OUTPUTS = { probabilities: 'probabilities', logits: 'logits', features: 'features', convStats: 'conv_stats' } as const

export interface OnnxGraphInfo {
  bytes: Uint8Array
  inputSize: number
  numClasses: number
  featureSize: number
  convStatsSize: number
}

/**
 * Writes a tfjs LayersModel as an ONNX model (opset 13). Input `cells`:
 * N x S x S x 3 float, standardised as fillBatch does (NHWC, like tfjs); the
 * graph transposes to NCHW itself and back before Flatten, so the dense
 * weights keep tfjs's order.
 */
export function modelToOnnx(model: tf.LayersModel, opts: { kernels?: OnnxKernels } = {}): OnnxGraphInfo {
  const integer = opts.kernels === 'integer'
  const { onnx } = requireHere('onnx-proto') as { onnx: typeof OnnxNs }
  const nodes: OnnxNs.INodeProto[] = []
  const inits: OnnxNs.ITensorProto[] = []
  let counter = 0
  const fresh = (base: string) => `${base}_${counter++}`
  const node = (opType: string, inputs: string[], attrs: OnnxNs.IAttributeProto[] = [], output = fresh(opType.toLowerCase())): string => {
    nodes.push({ opType, input: inputs, output: [output], name: fresh(`n_${opType}`), attribute: attrs })
    return output
  }
  const ints = (name: string, v: number[]): OnnxNs.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
  const int = (name: string, v: number): OnnxNs.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
  const str = (name: string, v: string): OnnxNs.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) })
  const init = (base: string, dims: number[], data: Float32Array | Int8Array | Uint8Array, dataType = FLOAT): string => {
    const name = fresh(base)
    inits.push({ name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })
    return name
  }
  /**
   * x (N x nin) times w (nin x nout) as MatMulInteger: x quantised to 8 bits
   * as it arrives (DynamicQuantizeLinear), w per output column (symmetric
   * int8), the int32 sums scaled back to float32 (x's scale x the column's).
   */
  const integerMatMul = (x: string, w: Float32Array, nin: number, nout: number): string => {
    const scales = new Float32Array(nout)
    for (let i = 0; i < w.length; i++) scales[i % nout] = Math.max(scales[i % nout]!, Math.abs(w[i]!))
    for (let c = 0; c < nout; c++) scales[c] = scales[c]! > 0 ? scales[c]! / 127 : 1
    const q = new Int8Array(w.length)
    for (let i = 0; i < w.length; i++) q[i] = Math.round(w[i]! / scales[i % nout]!)
    const [xq, xs, xz] = [fresh('xq'), fresh('xs'), fresh('xz')]
    nodes.push({ opType: 'DynamicQuantizeLinear', input: [x], output: [xq, xs, xz], name: fresh('n_DynamicQuantizeLinear'), attribute: [] })
    const acc = node('MatMulInteger', [xq, init('wq', [nin, nout], q, INT8), xz, init('wz', [], Int8Array.of(0), INT8)])
    return node('Mul', [node('Cast', [acc], [int('to', FLOAT)]), node('Mul', [xs, init('w_scale', [nout], scales)])])
  }
  const activation = (x: string, name: string | undefined, layer: string): string => {
    if (!name || name === 'linear') return x
    if (name === 'relu') return node('Relu', [x])
    if (name === 'softmax') return node('Softmax', [x], [int('axis', -1)])
    throw new OnnxUnsupported(`${layer}: activation ${name}`)
  }
  const pad = (p: unknown, layer: string): OnnxNs.IAttributeProto => {
    if (p === 'same') return str('auto_pad', 'SAME_UPPER') // TensorFlow's "same": any odd padding goes at the end
    if (p === 'valid') return str('auto_pad', 'VALID')
    throw new OnnxUnsupported(`${layer}: padding ${String(p)}`)
  }
  const pair = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : [Number(v), Number(v)])

  const inputShape = model.inputs[0].shape
  if (inputShape.length !== 4 || inputShape[3] !== 3 || inputShape[1] !== inputShape[2]) throw new OnnxUnsupported(`input shape ${JSON.stringify(inputShape)}`)
  const S = inputShape[1] as number
  let x = node('Transpose', [ONNX_INPUT], [ints('perm', [0, 3, 1, 2])])
  let layout: 'nchw' | 'flat' = 'nchw'
  const stats: string[] = []
  let convChannels = 0
  let features = ''
  let logits = ''
  const layers = model.layers
  for (let li = 0; li < layers.length; li++) {
    const layer = layers[li]
    const kind = layer.getClassName()
    const cfg = layer.getConfig() as Record<string, unknown>
    const where = `${layer.name} (${kind})`
    if ((layer.inboundNodes?.[0]?.inboundLayers?.length ?? 0) > 1) throw new OnnxUnsupported(`${where}: more than one input`)
    if (kind === 'InputLayer' || kind === 'Dropout') continue
    if (kind === 'Conv2D') {
      if (layout !== 'nchw') throw new OnnxUnsupported(`${where}: after Flatten`)
      if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') throw new OnnxUnsupported(`${where}: ${String(cfg.dataFormat)}`)
      const [k, b] = layer.getWeights()
      const [kh, kw, cin, cout] = k.shape as number[]
      // tfjs HWIO -> ONNX OIHW.
      const src = k.dataSync() as Float32Array
      const w = new Float32Array(src.length)
      for (let h = 0; h < kh; h++) for (let v = 0; v < kw; v++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) w[((o * cin + i) * kh + h) * kw + v] = src[((h * kw + v) * cin + i) * cout + o]
      const inputs = [x, init('conv_w', [cout, cin, kh, kw], w)]
      if (b) inputs.push(init('conv_b', [cout], Float32Array.from(b.dataSync() as Float32Array)))
      x = node('Conv', inputs, [ints('kernel_shape', [kh, kw]), ints('strides', pair(cfg.strides)), ints('dilations', pair(cfg.dilationRate ?? 1)), pad(cfg.padding, where)])
      x = activation(x, cfg.activation as string | undefined, where)
      // Per-channel mean and population standard deviation over the spatial
      // axes (tf.moments, as ../infer/classifier.ts), as E[x^2] - E[x]^2.
      // GlobalAveragePool (and the square) keep ONNX Runtime's blocked
      // channel layout: ReduceMean / ReduceSumSquare made it reorder every
      // convolution's output back to NCHW first, which with the reductions
      // was about a third of a W-Net forward pass (docs/ml-results.md).
      const spatialMean = (t: string): string => node('Flatten', [node('GlobalAveragePool', [t])], [int('axis', 1)])
      const mean = spatialMean(x)
      const meanSquare = spatialMean(node('Mul', [x, x]))
      const variance = node('Relu', [node('Sub', [meanSquare, node('Mul', [mean, mean])])]) // Relu: no tiny negative from rounding
      stats.push(mean, node('Sqrt', [variance]))
      convChannels += cout
    } else if (kind === 'MaxPooling2D') {
      if (layout !== 'nchw') throw new OnnxUnsupported(`${where}: after Flatten`)
      x = node('MaxPool', [x], [ints('kernel_shape', pair(cfg.poolSize)), ints('strides', pair(cfg.strides ?? cfg.poolSize)), pad(cfg.padding, where)])
    } else if (kind === 'Flatten') {
      // Back to NHWC first: tfjs flattens height, width, channel.
      x = node('Flatten', [node('Transpose', [x], [ints('perm', [0, 2, 3, 1])])], [int('axis', 1)])
      layout = 'flat'
    } else if (kind === 'Dense') {
      if (layout !== 'flat') throw new OnnxUnsupported(`${where}: on a 4-d input`)
      const [k, b] = layer.getWeights()
      const [nin, nout] = k.shape as number[]
      const bias = b ? init('dense_b', [nout], Float32Array.from(b.dataSync() as Float32Array)) : init('dense_b', [nout], new Float32Array(nout))
      const last = li === layers.length - 1
      if (last) features = x
      const z =
        integer && !last
          ? node('Add', [integerMatMul(x, Float32Array.from(k.dataSync() as Float32Array), nin, nout), bias])
          : node('Gemm', [x, init('dense_w', [nin, nout], Float32Array.from(k.dataSync() as Float32Array)), bias])
      if (last) logits = z
      x = activation(z, cfg.activation as string | undefined, where)
    } else {
      throw new OnnxUnsupported(`${where}: no ONNX mapping`)
    }
  }
  if (!features) throw new OnnxUnsupported('the last layer is not Dense')
  node('Identity', [x], [], ONNX_OUTPUTS.probabilities)
  node('Identity', [logits], [], ONNX_OUTPUTS.logits)
  node('Identity', [features], [], ONNX_OUTPUTS.features)
  if (!stats.length) throw new OnnxUnsupported('no convolution layers')
  node('Concat', stats, [int('axis', 1)], ONNX_OUTPUTS.convStats)

  const C = model.outputs[0].shape.at(-1) as number
  const F = (model.layers.at(-1)!.getWeights()[0].shape as number[])[0]
  const tensorType = (dims: (number | string)[]): OnnxNs.ITypeProto => ({
    tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } }
  })
  const graph: OnnxNs.IGraphProto = {
    name: model.name,
    node: nodes,
    initializer: inits,
    input: [{ name: ONNX_INPUT, type: tensorType(['N', S, S, 3]) }],
    output: [
      { name: ONNX_OUTPUTS.probabilities, type: tensorType(['N', C]) },
      { name: ONNX_OUTPUTS.logits, type: tensorType(['N', C]) },
      { name: ONNX_OUTPUTS.features, type: tensorType(['N', F]) },
      { name: ONNX_OUTPUTS.convStats, type: tensorType(['N', 2 * convChannels]) }
    ]
  }
  const bytes = onnx.ModelProto.encode({ irVersion: IR_VERSION, producerName: 'wbc-workstation', opsetImport: [{ domain: '', version: OPSET }], graph }).finish()
  return { bytes, inputSize: S, numClasses: C, featureSize: F, convStatsSize: 2 * convChannels }
}
