// Cell images: metadata rows, their original file bytes (never deleted) and
// the rebuildable cache of preprocessed pixels.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export type ImageFormat = 'jpeg' | 'png' | 'bmp' | 'tiff'

export interface NewImage {
  sha256: string
  format: ImageFormat
  width: number
  height: number
  bytes: Uint8Array
  fileName: string
  sourcePath: string
  slideId: number | null
  importBatchId: number
}

export interface ImageRow {
  id: number
  sha256: string
  format: ImageFormat
  width: number
  height: number
  byteSize: number
  fileName: string
  sourcePath: string
  slideId: number | null
  importBatchId: number
  importedAt: string
}

const COLS = `id, sha256, format, width, height, byte_size AS byteSize, file_name AS fileName, source_path AS sourcePath,
  slide_id AS slideId, import_batch_id AS importBatchId, imported_at AS importedAt`

export function findImageIdBySha256(db: Db, sha256: string): number | undefined {
  return stmt<[string], { id: number }>(db, 'SELECT id FROM images WHERE sha256 = ?').get(sha256)?.id
}

/**
 * Stores an image and its original bytes unless an image with the same
 * content hash exists. Returns its id and whether it was new.
 */
export function insertImage(db: Db, img: NewImage): { id: number; created: boolean } {
  const existing = findImageIdBySha256(db, img.sha256)
  if (existing !== undefined) return { id: existing, created: false }
  const id = Number(
    stmt(
      db,
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, slide_id, import_batch_id, imported_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(
      img.sha256,
      img.format,
      img.width,
      img.height,
      img.bytes.byteLength,
      img.fileName,
      img.sourcePath,
      img.slideId,
      img.importBatchId,
      nowIso()
    ).lastInsertRowid
  )
  stmt(db, 'INSERT INTO image_originals (image_id, bytes) VALUES (?, ?)').run(id, toBuffer(img.bytes))
  return { id, created: true }
}

export function getImage(db: Db, id: number): ImageRow | undefined {
  return stmt<[number], ImageRow>(db, `SELECT ${COLS} FROM images WHERE id = ?`).get(id)
}

export function getImageBySha256(db: Db, sha256: string): ImageRow | undefined {
  return stmt<[string], ImageRow>(db, `SELECT ${COLS} FROM images WHERE sha256 = ?`).get(sha256)
}

/** The original file bytes exactly as imported. */
export function getOriginalBytes(db: Db, imageId: number): Buffer | undefined {
  return stmt<[number], { bytes: Buffer }>(db, 'SELECT bytes FROM image_originals WHERE image_id = ?').get(imageId)?.bytes
}

export function countImages(db: Db): number {
  return stmt<[], { n: number }>(db, 'SELECT count(*) AS n FROM images').get()!.n
}

export function listImages(db: Db, opts: { slideId?: number; limit?: number; offset?: number } = {}): ImageRow[] {
  const limit = opts.limit ?? -1
  const offset = opts.offset ?? 0
  if (opts.slideId !== undefined) {
    return stmt<[number, number, number], ImageRow>(db, `SELECT ${COLS} FROM images WHERE slide_id = ? ORDER BY id LIMIT ? OFFSET ?`).all(
      opts.slideId,
      limit,
      offset
    )
  }
  return stmt<[number, number], ImageRow>(db, `SELECT ${COLS} FROM images ORDER BY id LIMIT ? OFFSET ?`).all(limit, offset)
}

/** Caches preprocessed pixels for one recipe and size (replacing an older entry). */
export function putPreprocessed(db: Db, imageId: number, recipe: string, size: number, pixels: Uint8Array): void {
  stmt(db, 'INSERT OR REPLACE INTO preprocessed_cells (image_id, recipe, size, pixels) VALUES (?, ?, ?, ?)').run(
    imageId,
    recipe,
    size,
    toBuffer(pixels)
  )
}

export function getPreprocessed(db: Db, imageId: number, recipe: string, size: number): Uint8Array | undefined {
  const row = stmt<[number, string, number], { pixels: Buffer }>(
    db,
    'SELECT pixels FROM preprocessed_cells WHERE image_id = ? AND recipe = ? AND size = ?'
  ).get(imageId, recipe, size)
  return row ? new Uint8Array(row.pixels.buffer, row.pixels.byteOffset, row.pixels.byteLength) : undefined
}

/** Drops cached pixels (all, or one recipe's); they are rebuilt from the originals. */
export function clearPreprocessed(db: Db, recipe?: string): number {
  return recipe === undefined
    ? stmt(db, 'DELETE FROM preprocessed_cells').run().changes
    : stmt(db, 'DELETE FROM preprocessed_cells WHERE recipe = ?').run(recipe).changes
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength)
}
