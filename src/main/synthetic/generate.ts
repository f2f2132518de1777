// Generating cells from a stored generator checkpoint: N cells of its class
// from a seed, stored as synthetic images with their provenance (generator,
// checkpoint, step, seed, draw index), never as real images. The same
// (checkpoint, seed, index) always gives the same cell, so a draw is
// idempotent and can be extended.
import { createHash } from 'node:crypto'
import sharp from 'sharp'
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../ml/model/tfjs-backend'
import {
  checkpointWeights,
  getCheckpoint,
  getGenerator,
  insertSyntheticImage,
  latestCheckpoint,
  type CheckpointRow,
  type Db,
  type GeneratorRow
} from '../store/index'
import { estimateEta, type ProgressListener } from '../../shared/progress'
import { buildGenerator, generatePixels, setFlatWeights, type GanSettings } from './dcgan'
import { latentVectors } from './latent'
import { throwIfCancelled } from '../errors'

export function settingsOf(g: GeneratorRow): GanSettings {
  return JSON.parse(g.settingsJson) as GanSettings
}

/** A generator model with a checkpoint's weights loaded (the caller disposes it). */
export function generatorFromWeights(settings: GanSettings, weights: Float32Array): tf.LayersModel {
  const model = buildGenerator(settings)
  setFlatWeights(model, weights)
  return model
}

/** A cell as stored: PNG of the generator's raw RGB output, no metadata. */
export async function encodeCellPng(pixels: Uint8Array, size: number): Promise<Buffer> {
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer()
}

export interface GenerateOptions {
  generatorId: number
  /** Default: the generator's latest checkpoint. */
  checkpointId?: number
  count: number
  seed: number
  /** First draw index (default 0): a later call can extend a draw. */
  from?: number
  signal?: AbortSignal
  onProgress?: ProgressListener
}

export interface GenerateResult {
  generator: { id: number; name: string; class: string }
  checkpoint: { id: number; step: number }
  seed: number
  /** Ids of the synthetic images of this draw, in draw order. */
  ids: number[]
  created: number
}

function resolveCheckpoint(db: Db, g: GeneratorRow, checkpointId?: number): CheckpointRow {
  const ck = checkpointId !== undefined ? getCheckpoint(db, checkpointId) : latestCheckpoint(db, g.id)
  if (!ck || ck.generatorId !== g.id) throw new Error(checkpointId !== undefined ? `checkpoint ${checkpointId} is not one of generator ${g.name}` : `generator ${g.name} has no checkpoint yet`)
  return ck
}

export async function generateCells(db: Db, o: GenerateOptions): Promise<GenerateResult> {
  const g = getGenerator(db, o.generatorId)
  if (!g) throw new Error(`generator ${o.generatorId} not found`)
  if (!Number.isInteger(o.count) || o.count < 1) throw new Error('count must be a positive integer')
  const ck = resolveCheckpoint(db, g, o.checkpointId)
  const s = settingsOf(g)
  await initBackend()
  const model = generatorFromWeights(s, checkpointWeights(db, ck.id)!)
  // A conditional generator's row generates its own class: that label for every cell.
  const labelIndex = s.classes ? s.classes.indexOf(g.class) : -1
  if (s.classes && labelIndex < 0) throw new Error(`generator ${g.name} does not know class ${g.class}`)
  const label = s.classes ? { index: labelIndex, classes: s.classes.length } : undefined
  const from = o.from ?? 0
  const ids: number[] = []
  let created = 0
  const started = Date.now()
  const chunk = 64
  try {
    for (let start = 0; start < o.count; start += chunk) {
      throwIfCancelled(o.signal, 'generation cancelled')
      const m = Math.min(chunk, o.count - start)
      const px = generatePixels(model, latentVectors(o.seed, from + start, m, s.latentDim), s.latentDim, 64, label)
      const per = s.size * s.size * 3
      const pngs = await Promise.all(Array.from({ length: m }, (_, k) => encodeCellPng(px.subarray(k * per, (k + 1) * per), s.size)))
      db.transaction(() => {
        pngs.forEach((png, k) => {
          const r = insertSyntheticImage(db, {
            generatorId: g.id,
            checkpointId: ck.id,
            step: ck.step,
            seed: o.seed,
            drawIndex: from + start + k,
            class: g.class,
            width: s.size,
            height: s.size,
            sha256: createHash('sha256').update(png).digest('hex'),
            png
          })
          ids.push(r.id)
          if (r.created) created++
        })
      })()
      const done = Math.min(o.count, start + m)
      o.onProgress?.({ task: 'generate', done, total: o.count, unit: 'cells', etaSeconds: estimateEta(started, done, o.count), message: g.class })
    }
  } finally {
    model.dispose()
  }
  return { generator: { id: g.id, name: g.name, class: g.class }, checkpoint: { id: ck.id, step: ck.step }, seed: o.seed, ids, created }
}
