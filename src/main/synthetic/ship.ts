// Writing a shipped generator (resources/generators/<name>/): the 8-bit
// encoding of its weights, card.json and a sample grid per class. Reading
// them back is shipped.ts.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { buildGenerator, setFlatWeights, type GanSettings } from './dcgan'
import { sampleGrid } from './train'
import { decodeWeights, SHIPPED_GENERATOR_FORMAT, type ShippedGeneratorCard, type ShippedTensor } from './shipped'

/** Tensors at least this long are stored as 8 bits. */
const QUANTIZE_MIN = 1024

/** Encodes a generator's weights (model.weights order): 8 bits for large tensors, float32 for the rest. */
export function encodeWeights(model: tf.LayersModel): { bytes: Buffer; tensors: ShippedTensor[] } {
  const parts: Buffer[] = []
  const tensors: ShippedTensor[] = []
  for (const w of model.weights) {
    const v = w.read().dataSync() as Float32Array
    const shape = w.shape.map((d) => d ?? 1)
    const name = w.originalName
    if (v.length < QUANTIZE_MIN) {
      parts.push(Buffer.from(new Float32Array(v).buffer))
      tensors.push({ name, shape, dtype: 'float32' })
      continue
    }
    let min = Infinity
    let max = -Infinity
    for (const x of v) {
      if (x < min) min = x
      if (x > max) max = x
    }
    const scale = max > min ? (max - min) / 255 : 1
    const q = Buffer.alloc(v.length)
    for (let i = 0; i < v.length; i++) q[i] = Math.max(0, Math.min(255, Math.round((v[i] - min) / scale)))
    parts.push(q)
    tensors.push({ name, shape, dtype: 'uint8', min, scale })
  }
  return { bytes: Buffer.concat(parts), tensors }
}

/** Writes resources/generators/<name>/ (weights.bin + card.json) from a generator's weights. */
export async function writeShippedGenerator(
  dir: string,
  settings: GanSettings,
  flatWeights: Float32Array,
  card: Omit<ShippedGeneratorCard, 'format' | 'weights' | 'settings' | 'classes'> & { classes?: string[] }
): Promise<ShippedGeneratorCard> {
  const model = buildGenerator(settings)
  try {
    setFlatWeights(model, flatWeights)
    const { bytes, tensors } = encodeWeights(model)
    await mkdir(dir, { recursive: true })
    // A sample grid per class (its row's grid in the store), from the 8-bit weights as they will be used.
    const used = buildGenerator(settings)
    try {
      setFlatWeights(used, decodeWeights(bytes, tensors))
      for (const cls of settings.classes ?? card.classes ?? []) await writeFile(join(dir, `grid-${cls}.png`), await sampleGrid(used, settings, 8, settings.classes ? cls : undefined))
    } finally {
      used.dispose()
    }
    const full: ShippedGeneratorCard = {
      format: SHIPPED_GENERATOR_FORMAT,
      ...card,
      classes: settings.classes ?? card.classes ?? [],
      settings,
      weights: { file: 'weights.bin', bytes: bytes.length, float32Bytes: flatWeights.length * 4, tensors }
    }
    await writeFile(join(dir, 'weights.bin'), bytes)
    await writeFile(join(dir, 'card.json'), JSON.stringify(full, null, 1) + '\n')
    return full
  } finally {
    model.dispose()
  }
}

