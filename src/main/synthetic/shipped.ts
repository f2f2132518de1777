// Shipped generators: trained DCGAN generators that come with the workstation
// in resources/generators/<name>/ (card.json + weights.bin), so a fresh
// install can generate cells and run a blind session without training.
//
// Weights: every tensor of 1,024 or more values is stored as 8 bits (affine
// per tensor: value = min + q * scale, q in 0..255); the small ones
// (batch-norm statistics, biases) as float32, because an 8-bit moving variance
// distorts a channel badly. card.json holds the layout, the settings, the
// training record and the quality report. Writing them (tensors needed) is
// ship.ts; this module only reads, so the API thread can list and import
// them without loading TensorFlow.js.
//
// In the store a shipped generator becomes one generator row per class
// (`<name>-<class>`, preset 'shipped'), each with the shipped step as its one
// checkpoint; a conditional generator's rows share the weights and differ in
// their class (the label fed to the generator). Generation, quality reports,
// export and blind sessions then work on them as on trained generators.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createGenerator, getGeneratorByName, listCheckpoints, saveGeneratorCheckpoint, updateGenerator, type Db, type GeneratorRow } from '../store/index'
import type { GanSettings } from './dcgan'

export const SHIPPED_GENERATOR_FORMAT = 'wbc-generator-card/1'

export interface ShippedTensor {
  name: string
  shape: number[]
  dtype: 'uint8' | 'float32'
  /** uint8 only: value = min + q * scale. */
  min?: number
  scale?: number
}

export interface ShippedGeneratorCard {
  format: typeof SHIPPED_GENERATOR_FORMAT
  name: string
  createdAt: string
  /** Classes it generates (a conditional generator: all, in label order). */
  classes: string[]
  settings: GanSettings
  step: number
  weights: { file: 'weights.bin'; bytes: number; float32Bytes: number; tensors: ShippedTensor[] }
  data: { dataset: string; attribution: string; licence: string; cells: number; perClass: Record<string, number>; leftOut: string }
  training: { recipe: string; steps: number; cpuHours: number; wallHours: number; command: string; resume: string; notes: string[] }
  /** Filled by the quality report run (scripts/ship-five-class-gan.ts --report). */
  quality?: unknown
}

export interface ShippedGenerator {
  dir: string
  card: ShippedGeneratorCard
}

/** resources/generators (or $WBC_RESOURCES/generators). */
export function shippedGeneratorsDir(env: Record<string, string | undefined> = process.env): string {
  return env.WBC_RESOURCES ? resolve(env.WBC_RESOURCES, 'generators') : fileURLToPath(new URL('../../../resources/generators', import.meta.url))
}

export function listShippedGenerators(root = shippedGeneratorsDir()): ShippedGenerator[] {
  if (!existsSync(root)) return []
  return readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory() && existsSync(join(root, d, 'card.json')))
    .sort()
    .map((d) => ({ dir: join(root, d), card: JSON.parse(readFileSync(join(root, d, 'card.json'), 'utf8')) as ShippedGeneratorCard }))
    .filter((g) => g.card.format === SHIPPED_GENERATOR_FORMAT)
}

/** The flat float32 weights (model.weights order) of an encoded generator. */
export function decodeWeights(bytes: Uint8Array, tensors: ShippedTensor[]): Float32Array {
  const total = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)
  const out = new Float32Array(total)
  let off = 0
  let pos = 0
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1)
    if (t.dtype === 'float32') {
      out.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset + pos, bytes.byteOffset + pos + 4 * n)), off)
      pos += 4 * n
    } else {
      for (let i = 0; i < n; i++) out[off + i] = t.min! + bytes[pos + i] * t.scale!
      pos += n
    }
    off += n
  }
  if (pos !== bytes.length) throw new Error(`weights.bin has ${bytes.length} bytes, the card's layout ${pos}`)
  return out
}

/** A shipped generator's float32 weights, checked against its layout. */
export function loadShippedWeights(g: ShippedGenerator): Float32Array {
  const bytes = readFileSync(join(g.dir, g.card.weights.file))
  return decodeWeights(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), g.card.weights.tensors)
}

export function shippedRowName(g: ShippedGenerator, cls: string): string {
  return `${g.card.name}-${cls}`
}

/**
 * Finds a shipped generator for a name as the user typed it: the shipped
 * name (with a class given separately) or `<name>-<class>`.
 */
export function findShipped(ref: string, cls?: string, root = shippedGeneratorsDir()): { generator: ShippedGenerator; class: string } | undefined {
  for (const g of listShippedGenerators(root)) {
    if (ref === g.card.name && cls && g.card.classes.includes(cls)) return { generator: g, class: cls }
    if (ref === g.card.name && !cls && g.card.classes.length === 1) return { generator: g, class: g.card.classes[0] }
    const c = g.card.classes.find((k) => ref === shippedRowName(g, k))
    if (c) return { generator: g, class: c }
  }
  return undefined
}

/**
 * The store's row for one class of a shipped generator, created (with the
 * shipped weights as its one checkpoint and a sample grid) on first use.
 */
export function ensureShippedGeneratorRow(db: Db, g: ShippedGenerator, cls: string): GeneratorRow {
  if (!g.card.classes.includes(cls)) throw new Error(`${g.card.name} does not generate ${cls} (it generates ${g.card.classes.join(', ')})`)
  const name = shippedRowName(g, cls)
  const existing = getGeneratorByName(db, name)
  if (existing && existing.preset !== 'shipped') throw new Error(`a generator named ${name} exists and is not the shipped one`)
  // An install updated to a later shipped step: the row gets that step as a new checkpoint (cells already
  // generated keep pointing at the checkpoint they came from).
  if (existing && listCheckpoints(db, existing.id).some((c) => c.step === g.card.step)) return existing
  // Plain file reads (no tensors): the contract's list call imports shipped generators on the API thread.
  const weights = loadShippedWeights(g)
  const gridFile = join(g.dir, `grid-${cls}.png`)
  const grid = existsSync(gridFile) ? readFileSync(gridFile) : null
  if (existing) {
    db.transaction(() => {
      saveGeneratorCheckpoint(db, existing.id, g.card.step, weights, grid, {})
      updateGenerator(db, existing.id, { steps: Math.max(existing.steps, g.card.step), targetSteps: Math.max(existing.targetSteps, g.card.step) })
    })()
    return getGeneratorByName(db, name)!
  }
  const id = createGenerator(db, {
    name,
    class: cls,
    preset: 'shipped',
    settingsJson: JSON.stringify(g.card.settings),
    targetSteps: g.card.step,
    trainingData: `${g.card.data.dataset} (shipped generator ${g.card.name}, ${g.card.data.cells} cells)`,
    attribution: g.card.data.attribution,
    checkpointDir: null
  })
  db.transaction(() => {
    saveGeneratorCheckpoint(db, id, g.card.step, weights, grid, {})
    updateGenerator(db, id, { status: 'done', steps: g.card.step, backend: 'shipped', metricsJson: JSON.stringify({ shipped: g.card.name }) })
  })()
  return getGeneratorByName(db, name)!
}

/** Every class of every shipped generator as a stored row (the Synthetic screen lists them with the trained ones). */
export function importShippedGenerators(db: Db, root = shippedGeneratorsDir()): void {
  for (const g of listShippedGenerators(root)) for (const cls of g.card.classes) ensureShippedGeneratorRow(db, g, cls)
}
