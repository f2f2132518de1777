// Cell sets for training and inference: preprocessed uint8 pixels (N x S x S x
// 3, HWC, the rebuildable cache of preprocessCell) plus integer labels in the
// model's output order. Float tensors are only built per batch, standardised
// per image as the paper does (after the model's input colour normalisation),
// optionally flipped/rotated.
import { readdir, readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { createHash } from 'node:crypto'
import { preprocessCell, standardize } from '../../imaging/preprocess'
import { WBC_CLASSES } from '../../../shared/cells'
import { applySiteJitter, SITE_JITTER_VALUES } from './site-augment'
import { normaliseCell, type InputNormalisation } from './input-normalisation'

export interface CellSet {
  /** N*size*size*3 uint8 RGB, may live in a SharedArrayBuffer. */
  pixels: Uint8Array
  /** Class index per cell (into `classes`). */
  labels: Int32Array
  size: number
  classes: readonly string[]
  /** Where each cell came from (file path relative to the dataset root), when known. */
  sources?: string[]
}

export function cellCount(set: Pick<CellSet, 'pixels' | 'size'>): number {
  return set.pixels.length / (set.size * set.size * 3)
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp', '.webp'])

export interface FolderFile {
  path: string
  /** Path relative to the root, with forward slashes ("basophil/BA_1.jpg"). */
  relative: string
  label: number
}

/** The image files of a class-folder tree (one subfolder per class), sorted. */
export async function listClassFolders(root: string, classes: readonly string[] = WBC_CLASSES): Promise<FolderFile[]> {
  const out: FolderFile[] = []
  for (let c = 0; c < classes.length; c++) {
    const dir = join(root, classes[c])
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      continue
    }
    for (const name of names.sort()) {
      if (!IMAGE_EXT.has(extname(name).toLowerCase())) continue
      out.push({ path: join(dir, name), relative: `${classes[c]}/${name}`, label: c })
    }
  }
  return out
}

/**
 * Preprocess files into a CellSet (a few in flight to use both cores through
 * sharp's thread pool). With `shared`, pixels live in a SharedArrayBuffer that
 * training workers can read without copies.
 */
export async function loadCells(
  files: FolderFile[],
  size: number,
  options: { classes?: readonly string[]; shared?: boolean; concurrency?: number; hashes?: boolean; onFile?: (done: number, total: number) => void } = {}
): Promise<CellSet & { hashes?: string[] }> {
  const per = size * size * 3
  const buffer = options.shared ? new SharedArrayBuffer(files.length * per) : new ArrayBuffer(files.length * per)
  const pixels = new Uint8Array(buffer)
  const labels = new Int32Array(files.length)
  const hashes = options.hashes ? new Array<string>(files.length) : undefined
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < files.length) {
      const i = next++
      const bytes = await readFile(files[i].path)
      if (hashes) hashes[i] = createHash('sha256').update(bytes).digest('hex')
      pixels.set(await preprocessCell(bytes, size), i * per)
      labels[i] = files[i].label
      options.onFile?.(++done, files.length)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker))
  return { pixels, labels, size, classes: options.classes ?? WBC_CLASSES, sources: files.map((f) => f.relative), hashes }
}

/**
 * One of the 8 symmetries of the square: bit 0 flips left-right, bits 1-2
 * rotate by k*90 degrees. 0 is the identity. Writes src (S x S x 3) to dst.
 */
export function dihedral(src: Uint8Array, dst: Uint8Array, size: number, op: number): void {
  const S = size
  const flip = (op & 1) === 1
  const rot = (op >> 1) & 3
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let sx = flip ? S - 1 - x : x
      let sy = y
      // Destination (x, y) reads the source pixel that rotation maps onto it.
      for (let r = 0; r < rot; r++) {
        const t = sx
        sx = sy
        sy = S - 1 - t
      }
      const d = (y * S + x) * 3
      const s = (sy * S + sx) * 3
      dst[d] = src[s]
      dst[d + 1] = src[s + 1]
      dst[d + 2] = src[s + 2]
    }
  }
}

/** How fillBatch prepares each cell; `input` is the model's own (its metadata's inputNormalisation), never optional. */
export interface BatchPrep {
  /** The model's input colour normalisation (input-normalisation.ts), applied first. */
  input: InputNormalisation
  /** Per cell, one of the 8 symmetries of the square (see dihedral), when given. */
  ops?: ArrayLike<number>
  /** Per cell, its site jitter row (SITE_JITTER_VALUES numbers; see site-augment.ts), when given. */
  jitter?: Float32Array
}

/**
 * Standardised float batch (n x S x S x 3) from cells `indices` of `pixels`:
 * each cell colour-normalised as its model asks (prep.input), given its site
 * jitter row and symmetry when given, then standardised per image. Every
 * path from stored pixels to a network (training, validation, evaluation,
 * inference on tfjs and ONNX Runtime, adaptation, the synthetic-cell judge)
 * comes through here, so a model's normalisation cannot be skipped by one.
 */
export function fillBatch(pixels: Uint8Array, size: number, indices: ArrayLike<number>, out: Float32Array, prep: BatchPrep): Float32Array {
  const per = size * size * 3
  const { ops, jitter } = prep
  const tmp = new Uint8Array(per)
  const normalised = prep.input === 'none' ? undefined : new Uint8Array(per)
  const jittered = jitter ? new Uint8Array(per) : undefined
  for (let i = 0; i < indices.length; i++) {
    let img = pixels.subarray(indices[i] * per, (indices[i] + 1) * per)
    // Normalise before jitter: the jitter then varies colours around the balance the model will see.
    if (normalised) img = normaliseCell(img, normalised, prep.input)
    if (jitter && jittered) {
      applySiteJitter(img, jittered, size, jitter.subarray(i * SITE_JITTER_VALUES, (i + 1) * SITE_JITTER_VALUES))
      img = jittered
    }
    const op = ops ? ops[i] : 0
    if (op) {
      dihedral(img, tmp, size, op)
      img = tmp
    }
    standardize(img, out, i * per)
  }
  return out
}
