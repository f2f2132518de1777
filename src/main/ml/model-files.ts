// Models in TensorFlow.js's standard format without tfjs-node: a tf.LayersModel
// to and from in-memory artifacts (topology, weight manifest, weight bytes),
// 8-bit / 16-bit weight quantisation as tfjs-converter writes it (tfjs
// dequantises on load), and model.json + .bin folders on disk, so an exported
// model loads in any tfjs tool and any tfjs model with our metadata loads here.
import { mkdir, readFile, writeFile, stat } from 'node:fs/promises'
import { dirname, join, basename } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { WeightSpec } from '../store/models.js'
import { WBC_CLASSES } from '../../shared/cells.js'
import { WNET_RECIPE } from '../imaging/decode.js'

/** What the workstation needs to know about a model beyond its topology (kept in model.json's userDefinedMetadata.wbc). */
export interface ModelMeta {
  architecture: string
  inputSize: number
  classes: string[]
  preprocessRecipe: string
  /** Free-form provenance: training data, run id, settings, metrics. */
  [key: string]: unknown
}

export interface ModelArtifactsBytes {
  topology: unknown
  weightSpecs: WeightSpec[]
  weights: Uint8Array
  meta: ModelMeta
}

export type Quantization = 'float32' | 'float16' | 'uint8' | 'uint16'

/** Serialises a model's topology and weights (float32, or quantised). */
export async function modelToArtifacts(model: tf.LayersModel, meta: ModelMeta, quantization: Quantization = 'float32'): Promise<ModelArtifactsBytes> {
  let saved: tf.io.ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  if (!saved || !saved.weightSpecs || !saved.weightData) throw new Error('model could not be serialised')
  const data = tf.io.concatenateArrayBuffers(saved.weightData as ArrayBuffer | ArrayBuffer[])
  const specs = saved.weightSpecs as WeightSpec[]
  const quantised = quantization === 'float32' ? { specs, bytes: new Uint8Array(data) } : quantize(specs, new Uint8Array(data), quantization)
  return { topology: saved.modelTopology, weightSpecs: quantised.specs, weights: quantised.bytes, meta }
}

/**
 * Quantises float32 weights as tfjs-converter does: uint8/uint16 affine per
 * weight tensor (value = q * scale + min), or float16. Non-float weights are copied.
 */
export function quantize(specs: readonly WeightSpec[], data: Uint8Array, to: Exclude<Quantization, 'float32'>): { specs: WeightSpec[]; bytes: Uint8Array } {
  const parts: Uint8Array[] = []
  const out: WeightSpec[] = []
  let offset = 0
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1)
    if (s.quantization) throw new Error(`weight ${s.name} is already quantised`)
    const bytesPer = s.dtype === 'float32' || s.dtype === 'int32' ? 4 : s.dtype === 'bool' ? 1 : 0
    if (!bytesPer) throw new Error(`cannot quantise weight ${s.name} of dtype ${s.dtype}`)
    const raw = data.slice(offset, offset + n * bytesPer)
    offset += n * bytesPer
    if (s.dtype !== 'float32') {
      parts.push(raw)
      out.push({ ...s })
      continue
    }
    const values = new Float32Array(raw.buffer, raw.byteOffset, n)
    if (to === 'float16') {
      const q = new Uint16Array(n)
      for (let i = 0; i < n; i++) q[i] = toHalf(values[i])
      parts.push(new Uint8Array(q.buffer))
      out.push({ ...s, quantization: { dtype: 'float16' } })
      continue
    }
    let min = Infinity
    let max = -Infinity
    for (let i = 0; i < n; i++) {
      if (values[i] < min) min = values[i]
      if (values[i] > max) max = values[i]
    }
    if (n === 0) min = max = 0
    const levels = to === 'uint8' ? 255 : 65535
    const scale = max > min ? (max - min) / levels : 1
    const q = to === 'uint8' ? new Uint8Array(n) : new Uint16Array(n)
    for (let i = 0; i < n; i++) q[i] = Math.max(0, Math.min(levels, Math.round((values[i] - min) / scale)))
    parts.push(new Uint8Array(q.buffer, q.byteOffset, q.byteLength))
    out.push({ ...s, quantization: { dtype: to, scale, min } })
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0)
  const bytes = new Uint8Array(total)
  let o = 0
  for (const p of parts) {
    bytes.set(p, o)
    o += p.byteLength
  }
  return { specs: out, bytes }
}

function toHalf(v: number): number {
  const f = new Float32Array(1)
  const u = new Uint32Array(f.buffer)
  f[0] = v
  const x = u[0]
  const sign = (x >>> 16) & 0x8000
  let exp = ((x >>> 23) & 0xff) - 127 + 15
  let mant = x & 0x7fffff
  if (exp <= 0) {
    if (exp < -10) return sign
    mant = (mant | 0x800000) >> (1 - exp)
    return sign | ((mant + 0x1000) >> 13)
  }
  if (exp >= 31) return sign | 0x7c00
  const h = sign | (exp << 10) | (mant >> 13)
  return (mant & 0x1000) !== 0 ? h + 1 : h
}

/** The quantisation a weight manifest uses ('float32' when none). */
export function quantizationOf(specs: readonly WeightSpec[]): Quantization {
  const q = specs.find((s) => s.quantization)?.quantization?.dtype
  return q ?? 'float32'
}

/** Builds a tf.LayersModel from artifacts (dequantising as needed). Needs an initialised backend. */
export async function artifactsToModel(a: Pick<ModelArtifactsBytes, 'topology' | 'weightSpecs' | 'weights'>): Promise<tf.LayersModel> {
  const w = a.weights
  const buffer = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: a.topology as object,
      weightSpecs: a.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: buffer
    })
  )
}

/** Writes model.json + one weights file (standard tfjs layout) into `dir`. */
export async function writeModelDir(dir: string, a: ModelArtifactsBytes, shardName = 'group1-shard1of1.bin'): Promise<string> {
  await mkdir(dir, { recursive: true })
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: 'WBC Workstation',
    modelTopology: a.topology,
    weightsManifest: [{ paths: [shardName], weights: a.weightSpecs }],
    userDefinedMetadata: { wbc: a.meta }
  }
  await writeFile(join(dir, shardName), a.weights)
  const file = join(dir, 'model.json')
  await writeFile(file, JSON.stringify(modelJson))
  return file
}

/**
 * Reads a tfjs layers model from a model.json file or a folder holding one
 * (weights from the manifest's shard files beside it). Metadata missing from
 * a foreign model is inferred: input size from the topology, the five WBC
 * classes when it has five outputs.
 */
export async function readModelDir(path: string): Promise<ModelArtifactsBytes> {
  const file = (await stat(path)).isDirectory() ? join(path, 'model.json') : path
  const json = JSON.parse(await readFile(file, 'utf8')) as {
    modelTopology?: unknown
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[]
    userDefinedMetadata?: { wbc?: Partial<ModelMeta> }
  }
  if (!json.modelTopology || !json.weightsManifest) throw new Error(`${file} is not a TensorFlow.js layers model (no modelTopology / weightsManifest)`)
  const parts: Uint8Array[] = []
  const specs: WeightSpec[] = []
  for (const group of json.weightsManifest) {
    for (const p of group.paths) parts.push(new Uint8Array(await readFile(join(dirname(file), p))))
    specs.push(...group.weights)
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0)
  const weights = new Uint8Array(total)
  let o = 0
  for (const p of parts) {
    weights.set(p, o)
    o += p.byteLength
  }
  const meta = inferMeta(json.modelTopology, json.userDefinedMetadata?.wbc, basename(dirname(file)))
  return { topology: json.modelTopology, weightSpecs: specs, weights, meta }
}

function inferMeta(topology: unknown, given: Partial<ModelMeta> | undefined, fallbackName: string): ModelMeta {
  const text = JSON.stringify(topology)
  const shape = /"batch_input_shape":\s*\[\s*null\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*3\s*\]/.exec(text)
  const inputSize = given?.inputSize ?? (shape ? Number(shape[1]) : NaN)
  if (!Number.isFinite(inputSize)) throw new Error('cannot tell the model\'s input size (expected an input of shape [null, S, S, 3])')
  return {
    ...given,
    architecture: given?.architecture ?? (/"name":\s*"wnet"/.test(text) ? 'wnet' : fallbackName || 'unknown'),
    inputSize,
    classes: given?.classes ?? [...WBC_CLASSES],
    preprocessRecipe: given?.preprocessRecipe ?? WNET_RECIPE
  }
}
