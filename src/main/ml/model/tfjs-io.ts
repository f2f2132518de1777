// Saving and loading models without tfjs-node: in-memory artifacts (for
// SQLite BLOBs), standard tfjs directories (model.json + weights.bin, which
// any tfjs tool loads with loadLayersModel), optional 8-bit weight
// quantisation for the shipped model, and the optimizer state of unfinished
// runs.
import * as tf from '@tensorflow/tfjs'
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export interface MemoryModel {
  modelTopology: object
  weightSpecs: tf.io.WeightsManifestEntry[]
  weightData: ArrayBuffer
  /** Free-form metadata stored in model.json (architecture, classes, input size, training run ...). */
  userDefinedMetadata?: Record<string, unknown>
}

export type Quantization = 'none' | 'uint8' | 'float16'

/** Capture a model's topology and weights in memory. */
export async function modelToMemory(model: tf.LayersModel, metadata?: Record<string, unknown>): Promise<MemoryModel> {
  let captured: tf.io.ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  if (!captured?.weightSpecs || !captured.weightData || !captured.modelTopology) throw new Error('model save produced no artifacts')
  const data = captured.weightData
  const weightData = data instanceof ArrayBuffer ? data : concat(data as ArrayBuffer[])
  return { modelTopology: captured.modelTopology as object, weightSpecs: captured.weightSpecs, weightData, userDefinedMetadata: metadata }
}

/** The parts' bytes one after another, in a fresh buffer of exactly their size. */
export function concatBytes(parts: readonly (ArrayBuffer | Uint8Array)[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0)
  const out = new Uint8Array(total)
  let off = 0
  for (const p of parts) {
    out.set(p instanceof Uint8Array ? p : new Uint8Array(p), off)
    off += p.byteLength
  }
  return out
}

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  return concatBytes(parts).buffer as ArrayBuffer
}

export async function modelFromMemory(m: MemoryModel): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: m.modelTopology, weightSpecs: m.weightSpecs, weightData: m.weightData }))
}

/**
 * Quantise float32 weights per tensor: uint8 affine (value = q*scale + min,
 * the tfjs converter's format, ~4x smaller) or float16 (~2x). Loaders that
 * understand tfjs weight manifests (tf.io.decodeWeights) dequantise on load.
 */
export function quantizeWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, kind: Quantization): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  if (kind === 'none') return { specs, data }
  const outParts: Uint8Array[] = []
  const outSpecs: tf.io.WeightsManifestEntry[] = []
  let off = 0
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1)
    if (spec.dtype !== 'float32') {
      const bytes = n * 4
      outParts.push(new Uint8Array(data, off, bytes))
      outSpecs.push(spec)
      off += bytes
      continue
    }
    const values = new Float32Array(data.slice(off, off + n * 4))
    off += n * 4
    if (kind === 'uint8') {
      let min = Infinity
      let max = -Infinity
      for (const v of values) {
        if (v < min) min = v
        if (v > max) max = v
      }
      if (!Number.isFinite(min)) min = max = 0
      const scale = max > min ? (max - min) / 255 : 1
      const q = new Uint8Array(n)
      for (let i = 0; i < n; i++) q[i] = Math.round((values[i] - min) / scale)
      outParts.push(q)
      outSpecs.push({ ...spec, quantization: { dtype: 'uint8', scale, min, original_dtype: 'float32' } as never })
    } else {
      const h = new Uint16Array(n)
      for (let i = 0; i < n; i++) h[i] = toHalf(values[i])
      outParts.push(new Uint8Array(h.buffer))
      outSpecs.push({ ...spec, quantization: { dtype: 'float16', original_dtype: 'float32' } as never })
    }
  }
  return { specs: outSpecs, data: concatBytes(outParts).buffer as ArrayBuffer }
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
function toHalf(v: number): number {
  f32[0] = v
  const x = u32[0]
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

/** Write model.json + weights.bin (standard tfjs layers-model format) into `dir`. */
export async function saveModelDirectory(
  model: tf.LayersModel | MemoryModel,
  dir: string,
  options: { quantization?: Quantization; metadata?: Record<string, unknown> } = {}
): Promise<{ modelJson: string; weightsBytes: number }> {
  const mem = 'modelTopology' in model && 'weightData' in model ? model : await modelToMemory(model as tf.LayersModel)
  const { specs, data } = quantizeWeights(mem.weightSpecs, mem.weightData, options.quantization ?? 'none')
  await mkdir(dir, { recursive: true })
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: null,
    modelTopology: mem.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    userDefinedMetadata: { ...mem.userDefinedMetadata, ...options.metadata }
  }
  const modelJson = join(dir, 'model.json')
  await writeFile(join(dir, 'weights.bin.tmp'), new Uint8Array(data))
  await rename(join(dir, 'weights.bin.tmp'), join(dir, 'weights.bin'))
  await writeFile(`${modelJson}.tmp`, JSON.stringify(json))
  await rename(`${modelJson}.tmp`, modelJson)
  return { modelJson, weightsBytes: data.byteLength }
}

/** Read a tfjs layers-model directory (or its model.json path) into memory, dequantising weights. */
export async function readModelDirectory(pathOrDir: string): Promise<MemoryModel> {
  const modelJson = pathOrDir.endsWith('.json') ? pathOrDir : join(pathOrDir, 'model.json')
  const json = JSON.parse(await readFile(modelJson, 'utf8')) as {
    modelTopology: object
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
    userDefinedMetadata?: Record<string, unknown>
  }
  const parts: ArrayBuffer[] = []
  const specs: tf.io.WeightsManifestEntry[] = []
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const b = await readFile(join(dirname(modelJson), p))
      parts.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)
    }
    specs.push(...group.weights)
  }
  const raw = concat(parts)
  // Dequantise to plain float32 so the in-memory form is always float32.
  const tensors = tf.io.decodeWeights(raw, specs)
  const floatSpecs: tf.io.WeightsManifestEntry[] = specs.map((s) => ({ name: s.name, shape: s.shape, dtype: s.quantization ? 'float32' : s.dtype }) as tf.io.WeightsManifestEntry)
  const chunks: ArrayBuffer[] = []
  for (const s of floatSpecs) {
    const t = tensors[s.name]
    const d = t.dataSync()
    chunks.push((d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>)).slice().buffer as ArrayBuffer)
    t.dispose()
  }
  return { modelTopology: json.modelTopology, weightSpecs: floatSpecs, weightData: concat(chunks), userDefinedMetadata: json.userDefinedMetadata }
}

export async function loadModelDirectory(pathOrDir: string): Promise<tf.LayersModel> {
  return modelFromMemory(await readModelDirectory(pathOrDir))
}

/** One Buffer (for a SQLite BLOB): 4-byte header length, JSON header, weight bytes. */
export function memoryModelToBuffer(m: MemoryModel): Buffer {
  const header = Buffer.from(JSON.stringify({ modelTopology: m.modelTopology, weightSpecs: m.weightSpecs, userDefinedMetadata: m.userDefinedMetadata }))
  const len = Buffer.alloc(4)
  len.writeUInt32LE(header.length)
  return Buffer.concat([len, header, Buffer.from(m.weightData)])
}

export function memoryModelFromBuffer(buf: Buffer | Uint8Array): MemoryModel {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const n = b.readUInt32LE(0)
  const header = JSON.parse(b.subarray(4, 4 + n).toString('utf8'))
  const w = b.subarray(4 + n)
  return { ...header, weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer }
}

/** Training state of an unfinished run: flat weights, Adam moments and position. */
export interface TrainingStateBlob {
  meta: { step: number; epoch: number; rngState: number; [k: string]: unknown }
  weights: Float32Array
  adamM: Float32Array
  adamV: Float32Array
}

/** Pack weights + optimizer state into one Buffer (header JSON, then three float32 arrays). */
export function packTrainingState(s: TrainingStateBlob): Buffer {
  const header = Buffer.from(JSON.stringify({ meta: s.meta, n: s.weights.length }))
  const len = Buffer.alloc(4)
  len.writeUInt32LE(header.length)
  const f = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  return Buffer.concat([len, header, f(s.weights), f(s.adamM), f(s.adamV)])
}

export function unpackTrainingState(buf: Buffer): TrainingStateBlob {
  const n = buf.readUInt32LE(0)
  const { meta, n: count } = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as { meta: TrainingStateBlob['meta']; n: number }
  const body = buf.subarray(4 + n)
  const arr = (i: number) => {
    const part = body.subarray(i * count * 4, (i + 1) * count * 4)
    return new Float32Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength))
  }
  return { meta, weights: arr(0), adamM: arr(1), adamV: arr(2) }
}
