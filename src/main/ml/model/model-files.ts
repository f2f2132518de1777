// Models as the store keeps them: tfjs artifacts (topology, weight manifest,
// weight bytes as stored, quantised or not) plus the workstation's metadata
// (architecture, input size, class order, preprocessing). Serialising,
// quantising and writing folders go through the runtime's tfjs-io.ts; reading a
// folder here keeps quantised weights quantised (the database stores them as
// shipped) and infers metadata a foreign model lacks.
import { readFile, stat } from 'node:fs/promises'
import { dirname, join, basename } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { WeightSpec } from '../../store/models'
import { WBC_CLASSES } from '../../../shared/cells'
import { WNET_RECIPE } from '../../imaging/decode'
import type { InputNormalisation } from '../../../shared/models'
import { concatBytes, modelToMemory, quantizeWeights, saveModelDirectory, type MemoryModel, type Quantization as IoQuantization } from './tfjs-io'

/** What the workstation needs to know about a model beyond its topology (kept in model.json's userDefinedMetadata.wbc). */
export interface ModelMeta {
  architecture: string
  inputSize: number
  classes: string[]
  preprocessRecipe: string
  /** Input colour normalisation (../data/input-normalisation.ts); absent is 'none'. Part of the model. */
  inputNormalisation?: InputNormalisation
  /** Free-form provenance: training data, run id, settings, metrics. */
  [key: string]: unknown
}

export interface ModelArtifactsBytes {
  topology: unknown
  weightSpecs: WeightSpec[]
  weights: Uint8Array
  meta: ModelMeta
}

/** Weight storage of a model: float32, or quantised as tfjs-converter writes it (see tfjs-io.ts). */
export type Quantization = 'float32' | Exclude<IoQuantization, 'none'>

/** Serialises a model's topology and weights (float32, or quantised) with the runtime's tfjs-io.ts. */
export async function modelToArtifacts(model: tf.LayersModel, meta: ModelMeta, quantization: Quantization = 'float32'): Promise<ModelArtifactsBytes> {
  const mem = await modelToMemory(model)
  const q = quantizeWeights(mem.weightSpecs, mem.weightData, quantization === 'float32' ? 'none' : quantization)
  return { topology: mem.modelTopology, weightSpecs: q.specs as WeightSpec[], weights: new Uint8Array(q.data), meta }
}

/** The quantisation a weight manifest uses ('float32' when none). */
export function quantizationOf(specs: readonly WeightSpec[]): 'float32' | 'float16' | 'uint8' | 'uint16' {
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

/** Writes model.json + weights.bin (standard tfjs layout, weights as stored) into `dir`; returns the model.json path. */
export async function writeModelDir(dir: string, a: ModelArtifactsBytes): Promise<string> {
  const w = a.weights
  const mem: MemoryModel = {
    modelTopology: a.topology as object,
    weightSpecs: a.weightSpecs as tf.io.WeightsManifestEntry[],
    weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
    userDefinedMetadata: { wbc: a.meta }
  }
  return (await saveModelDirectory(mem, dir)).modelJson
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
    userDefinedMetadata?: { wbc?: Partial<ModelMeta> } & Partial<ModelMeta>
  }
  if (!json.modelTopology || !json.weightsManifest) throw new Error(`${file} is not a TensorFlow.js layers model (no modelTopology / weightsManifest)`)
  const parts: Uint8Array[] = []
  const specs: WeightSpec[] = []
  for (const group of json.weightsManifest) {
    for (const p of group.paths) parts.push(new Uint8Array(await readFile(join(dirname(file), p))))
    specs.push(...group.weights)
  }
  const weights = concatBytes(parts)
  // Ours sit under "wbc"; a model saved by tfjs-io.ts directly carries them at the top level.
  const udm = json.userDefinedMetadata
  const meta = inferMeta(json.modelTopology, udm?.wbc ?? (udm ? { ...udm } : undefined), basename(dirname(file)))
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
