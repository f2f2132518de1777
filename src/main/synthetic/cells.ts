// Where real and generated cells come from for GAN training and quality
// checks, as uint8 RGB arrays (n x S x S x 3) in W-Net's crop: real cells from
// a class-folder tree or from the store's labelled images; generated cells
// from the synthetic_images table (already in the crop, resized if needed).
import sharp from 'sharp'
import { listClassFolders, loadCells } from '../ml/data/cell-set'
import { decodeCell } from '../imaging/decode'
import { getOriginalBytes, imageIdsWithLabel, listSyntheticImages, syntheticPng, type Db } from '../store/index'
import { seededShuffle } from '../stats/index'

/** A class-folder tree (optionally only the files listed, as class/file relative paths), or the store's labelled images. */
export type RealSource = { folder: string; only?: ReadonlySet<string> } | { db: Db; datasetId?: number }

export interface CellPixels {
  pixels: Uint8Array
  size: number
  count: number
  /** Where each cell came from (relative file path, or 'image:<id>'). */
  refs: string[]
}

function sample<T>(items: T[], limit: number | undefined, seed: number): T[] {
  if (limit === undefined || items.length <= limit) return items
  return seededShuffle(items, seed).slice(0, limit)
}

/** Real cells of one class, preprocessed as W-Net does, optionally a seeded sample of `limit`. */
export async function realCellsOfClass(source: RealSource, cls: string, size: number, opts: { limit?: number; seed?: number } = {}): Promise<CellPixels> {
  const seed = opts.seed ?? 1
  if ('folder' in source) {
    const all = await listClassFolders(source.folder, [cls])
    const files = sample(source.only ? all.filter((f) => source.only!.has(f.relative)) : all, opts.limit, seed)
    if (!files.length) throw new Error(`no ${cls} images in ${source.folder}/${cls}`)
    const set = await loadCells(files, size, { classes: [cls] })
    return { pixels: set.pixels, size, count: files.length, refs: set.sources ?? files.map((f) => f.relative) }
  }
  const { db, datasetId } = source
  const ids = sample(imageIdsWithLabel(db, cls, datasetId), opts.limit, seed)
  if (!ids.length) throw new Error(`no real ${cls} cells in the store${datasetId !== undefined ? ` (dataset ${datasetId})` : ''}`)
  const per = size * size * 3
  const pixels = new Uint8Array(ids.length * per)
  for (let i = 0; i < ids.length; i++) pixels.set((await decodeCell(getOriginalBytes(db, ids[i])!, { size })).pixels, i * per)
  return { pixels, size, count: ids.length, refs: ids.map((id) => `image:${id}`) }
}

/** Cells (n x from x from x 3) resized to `to` with the filter generated cells get (syntheticPixels). */
export async function resizeCells(cells: CellPixels, to: number): Promise<CellPixels> {
  if (cells.size === to) return cells
  const inPer = cells.size * cells.size * 3
  const outPer = to * to * 3
  const pixels = new Uint8Array(cells.count * outPer)
  for (let i = 0; i < cells.count; i++) {
    const { data } = await sharp(cells.pixels.subarray(i * inPer, (i + 1) * inPer), { raw: { width: cells.size, height: cells.size, channels: 3 } })
      .resize(to, to, { fit: 'fill', kernel: 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true })
    pixels.set(data, i * outPer)
  }
  return { ...cells, pixels, size: to }
}

/** Decodes a stored generated cell to size x size RGB (resized when the generator's size differs). */
export async function syntheticPixels(png: Uint8Array, size: number): Promise<Uint8Array> {
  const { data, info } = await sharp(png).removeAlpha().resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true })
  if (info.channels !== 3) throw new Error('unexpected channels in a generated cell')
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** Generated cells of a generator (optionally one checkpoint), a seeded sample of `limit`. */
export async function generatedCells(db: Db, generatorId: number, size: number, opts: { checkpointId?: number; limit?: number; seed?: number } = {}): Promise<CellPixels> {
  const rows = sample(listSyntheticImages(db, { generatorId, checkpointId: opts.checkpointId }), opts.limit, opts.seed ?? 1)
  const per = size * size * 3
  const pixels = new Uint8Array(rows.length * per)
  for (let i = 0; i < rows.length; i++) pixels.set(await syntheticPixels(syntheticPng(db, rows[i].id)!, size), i * per)
  return { pixels, size, count: rows.length, refs: rows.map((r) => `synthetic:${r.id}`) }
}
