// Cell sets for training, cross-validation and inference, read from the store:
// which cells (a dataset, some image ids, a slide), with which label version
// (the current label, restricted to the five WBC classes), and their
// preprocessed uint8 pixels from the preprocessed_cells cache, filled from the
// original bytes where the cache lacks them. Pixels stay uint8 (N x S x S x 3);
// float batches are built by the training runtime per batch.
import type { Db } from '../../store/db'
import { getDatasetByName } from '../../store/datasets'
import { getOriginalBytes, getPreprocessed, putPreprocessed } from '../../store/images'
import { imagesOnSignedSlides, imagesWithCurrentLabel, type ImageCurrentLabel } from '../../store/labels'
import { decodeCell, WNET_RECIPE } from '../../imaging/decode'
import { WBC_CLASSES } from '../../../shared/cells'
import type { ProgressListener } from '../../../shared/progress'
import { estimateEta } from '../../../shared/progress'
import type { CellSet } from './cell-set'
import { throwIfCancelled } from '../../errors'

/** One cell chosen for a run: the image and the label version it is used with (null: unlabelled). */
export type StoredCell = ImageCurrentLabel

export interface CellSelection {
  /** A dataset by name. */
  dataset?: string
  /** Explicit images (intersected with the dataset when both are given). */
  imageIds?: readonly number[]
  /** The cells of one slide. */
  slideId?: number
}

/** A CellSet whose cells are store images, in `cells` order. */
export interface StoreCellSet extends CellSet {
  cells: StoredCell[]
  imageIds: number[]
}

/**
 * The labelled cells of a selection: current label (the label version is
 * recorded) restricted to `classes` (default the five WBC types), image id order.
 */
export function selectLabelledCells(db: Db, sel: CellSelection, classes: readonly string[] = WBC_CLASSES): StoredCell[] {
  const wanted = new Set(classes)
  return selectCells(db, sel).filter((c): c is StoredCell & { class: string } => c.class !== null && wanted.has(c.class))
}

/**
 * The labelled cells a site adaptation may learn from: as selectLabelledCells,
 * but only labels a person gave (imported from folders or manifests, or set
 * by a reviewer or an expert); a cell whose current label is the model's own
 * call is left out, so a model is never taught its own mistakes. With
 * `signedSlidesOnly`, only cells of signed slides: labels a verifier signed
 * for, not a technologist's work in progress (cells of no slide, such as an
 * imported training set, are then left out too).
 */
export function selectSiteLabelledCells(
  db: Db,
  sel: CellSelection,
  classes: readonly string[] = WBC_CLASSES,
  opts: { signedSlidesOnly?: boolean } = {}
): (StoredCell & { labelId: number; class: string })[] {
  const cells = selectLabelledCells(db, sel, classes).filter((c): c is StoredCell & { labelId: number; class: string } => c.source !== 'model' && c.labelId !== null)
  if (!opts.signedSlidesOnly) return cells
  const signed = imagesOnSignedSlides(db, cells.map((c) => c.imageId))
  return cells.filter((c) => signed.has(c.imageId))
}

/** Every cell of a selection with its current label (null when unlabelled), image id order. */
export function selectCells(db: Db, sel: CellSelection): StoredCell[] {
  let datasetId: number | undefined
  if (sel.dataset !== undefined) {
    const ds = getDatasetByName(db, sel.dataset)
    if (!ds) throw new Error(`no dataset named "${sel.dataset}"`)
    datasetId = ds.id
  }
  if (datasetId === undefined && sel.slideId === undefined && sel.imageIds === undefined) throw new Error('select cells by dataset, image ids or slide')
  return imagesWithCurrentLabel(db, { datasetId, slideId: sel.slideId, imageIds: sel.imageIds })
}

export interface LoadCellsOptions {
  /** Input side in pixels (default 128). */
  size?: number
  recipe?: string
  /** Class order of the labels (default the five WBC types). Cells of other classes or unlabelled get label -1. */
  classes?: readonly string[]
  /** Pixels in a SharedArrayBuffer so training workers read them without copies (default true). */
  shared?: boolean
  /** Originals decoded at once when the cache misses (default 4). */
  concurrency?: number
  /** Write decoded pixels into the cache (default true). */
  fillCache?: boolean
  signal?: AbortSignal
  onProgress?: ProgressListener
}

/**
 * Pixels (and labels) of the given cells, from the preprocessed cache or, when
 * missing there, decoded from the stored originals (and cached).
 */
export async function loadStoreCells(db: Db, cells: readonly StoredCell[], opts: LoadCellsOptions = {}): Promise<StoreCellSet & { decoded: number }> {
  const size = opts.size ?? 128
  const recipe = opts.recipe ?? WNET_RECIPE
  if (recipe !== WNET_RECIPE) throw new Error(`unknown preprocessing recipe ${recipe}`)
  const classes = opts.classes ?? WBC_CLASSES
  const index = new Map(classes.map((c, i) => [c, i]))
  const per = size * size * 3
  const buffer = opts.shared === false ? new ArrayBuffer(cells.length * per) : new SharedArrayBuffer(cells.length * per)
  const pixels = new Uint8Array(buffer)
  const labels = new Int32Array(cells.length)
  const missing: number[] = []
  const started = Date.now()
  cells.forEach((c, i) => {
    labels[i] = c.class === null ? -1 : index.get(c.class) ?? -1
    const px = getPreprocessed(db, c.imageId, recipe, size)
    if (px && px.length === per) pixels.set(px, i * per)
    else missing.push(i)
  })
  let done = cells.length - missing.length
  const report = () =>
    opts.onProgress?.({ task: 'load cells', done, total: cells.length, unit: 'cell', etaSeconds: estimateEta(started, done, cells.length), message: `${size} px` })
  report()
  let next = 0
  const pending: { imageId: number; px: Uint8Array }[] = []
  const flush = () => {
    if (opts.fillCache === false || !pending.length) return
    const batch = pending.splice(0)
    db.transaction(() => {
      for (const p of batch) putPreprocessed(db, p.imageId, recipe, size, p.px)
    })()
  }
  const worker = async () => {
    while (next < missing.length) {
      throwIfCancelled(opts.signal, 'loading cells cancelled')
      const i = missing[next++]
      const bytes = getOriginalBytes(db, cells[i].imageId)
      if (!bytes) throw new Error(`image ${cells[i].imageId} has no stored original`)
      const { pixels: px } = await decodeCell(bytes, { size })
      pixels.set(px, i * per)
      pending.push({ imageId: cells[i].imageId, px })
      if (pending.length >= 64) flush()
      done++
      if (done % 50 === 0) report()
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, Math.max(1, missing.length)) }, worker))
  flush()
  report()
  return { pixels, labels, size, classes, cells: [...cells], imageIds: cells.map((c) => c.imageId), decoded: missing.length }
}

/** Number of cells per class in a selection (for reports and sanity checks). */
export function classCounts(cells: readonly StoredCell[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of cells) out[c.class ?? ''] = (out[c.class ?? ''] ?? 0) + 1
  return out
}
