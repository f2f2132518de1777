// The label history of each image. Rows are only ever appended (triggers
// refuse UPDATE and DELETE); the current label is the current_labels view.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export const LABEL_SOURCES = ['folder', 'manifest', 'reviewer', 'expert', 'model'] as const
export type LabelSource = (typeof LABEL_SOURCES)[number]

export interface NewLabel {
  imageId: number
  class: string
  source: LabelSource
  who?: string
  /** The signed-in user behind a person's label (null: an import, a model, the local operator). */
  userId?: number | null
  why?: string
  /** The folder name or manifest value the class was read from. */
  rawClass?: string
  importBatchId?: number
  /** Default: now. */
  at?: string
}

export interface LabelRow {
  id: number
  imageId: number
  class: string
  source: LabelSource
  who: string
  at: string
  why: string
  rawClass: string | null
  importBatchId: number | null
}

export interface CurrentLabel {
  imageId: number
  labelId: number
  class: string
  source: LabelSource
  who: string
  at: string
  why: string
}

export function appendLabel(db: Db, label: NewLabel): number {
  return Number(
    stmt(
      db,
      `INSERT INTO labels (image_id, class, source, who, at, why, raw_class, import_batch_id, user_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(
      label.imageId,
      label.class,
      label.source,
      label.who ?? '',
      label.at ?? nowIso(),
      label.why ?? '',
      label.rawClass ?? null,
      label.importBatchId ?? null,
      label.userId ?? null
    ).lastInsertRowid
  )
}

/** Every label the image ever had, oldest first. */
export function labelHistory(db: Db, imageId: number): LabelRow[] {
  return stmt<[number], LabelRow>(
    db,
    `SELECT id, image_id AS imageId, class, source, who, at, why, raw_class AS rawClass, import_batch_id AS importBatchId
     FROM labels WHERE image_id = ? ORDER BY id`
  ).all(imageId)
}

export function currentLabel(db: Db, imageId: number): CurrentLabel | undefined {
  return stmt<[number], CurrentLabel>(
    db,
    `SELECT image_id AS imageId, label_id AS labelId, class, source, who, at, why FROM current_labels WHERE image_id = ?`
  ).get(imageId)
}

/** Distinct classes the imports (folder / manifest) have given this image. */
export function importedClasses(db: Db, imageId: number): string[] {
  return stmt<[number], { class: string }>(
    db,
    `SELECT DISTINCT class FROM labels WHERE image_id = ? AND source IN ('folder', 'manifest') ORDER BY class`
  )
    .all(imageId)
    .map((r) => r.class)
}

export interface LabelConflict {
  imageId: number
  sha256: string
  classes: string[]
}

/** Images whose imported labels disagree and that no reviewer or expert has settled. */
export function labelConflicts(db: Db): LabelConflict[] {
  return stmt<[], { imageId: number; sha256: string; classes: string }>(
    db,
    `SELECT c.image_id AS imageId, i.sha256, c.classes FROM label_conflicts c JOIN images i ON i.id = c.image_id ORDER BY c.image_id`
  )
    .all()
    .map((r) => ({ imageId: r.imageId, sha256: r.sha256, classes: r.classes.split(',').sort() }))
}

/** Images per current label ('' for unlabelled), optionally within one dataset. */
export function labelCounts(db: Db, datasetId?: number): Record<string, number> {
  const rows =
    datasetId === undefined
      ? stmt<[], { class: string | null; n: number }>(
          db,
          `SELECT c.class, count(*) AS n FROM images i LEFT JOIN current_labels c ON c.image_id = i.id GROUP BY c.class ORDER BY c.class`
        ).all()
      : stmt<[number], { class: string | null; n: number }>(
          db,
          `SELECT c.class, count(*) AS n FROM dataset_images d LEFT JOIN current_labels c ON c.image_id = d.image_id
           WHERE d.dataset_id = ? GROUP BY c.class ORDER BY c.class`
        ).all(datasetId)
  const out: Record<string, number> = {}
  for (const r of rows) out[r.class ?? ''] = r.n
  return out
}

/** An image with its current label (null: unlabelled). */
export interface ImageCurrentLabel {
  imageId: number
  labelId: number | null
  class: string | null
  /** Where the current label came from (null when unlabelled; absent where a caller built the row itself). */
  source?: LabelSource | null
}

/**
 * Images with their current label, image id order: those of a dataset, of a
 * slide and/or among some ids (each given filter narrows the set; at least one).
 */
export function imagesWithCurrentLabel(db: Db, sel: { datasetId?: number; slideId?: number; imageIds?: readonly number[] }): ImageCurrentLabel[] {
  const where: string[] = []
  const args: (number | string)[] = []
  if (sel.datasetId !== undefined) {
    where.push('i.id IN (SELECT image_id FROM dataset_images WHERE dataset_id = ?)')
    args.push(sel.datasetId)
  }
  if (sel.slideId !== undefined) {
    where.push('i.slide_id = ?')
    args.push(sel.slideId)
  }
  if (sel.imageIds !== undefined) {
    where.push('i.id IN (SELECT value FROM json_each(?))')
    args.push(JSON.stringify(sel.imageIds))
  }
  if (!where.length) throw new Error('select images by dataset, slide or ids')
  // At most seven shapes of this statement, each prepared once.
  return stmt<(number | string)[], ImageCurrentLabel>(
    db,
    `SELECT i.id AS imageId, c.label_id AS labelId, c.class, c.source FROM images i LEFT JOIN current_labels c ON c.image_id = i.id
     WHERE ${where.join(' AND ')} ORDER BY i.id`
  ).all(...args)
}

/** Of the given images, those on a slide whose latest sign-off is a signature (not reopened since). */
export function imagesOnSignedSlides(db: Db, imageIds: readonly number[]): Set<number> {
  const rows = stmt<[string], { id: number }>(
    db,
    `SELECT i.id FROM images i
     WHERE i.id IN (SELECT value FROM json_each(?)) AND i.slide_id IS NOT NULL
       AND (SELECT s.status FROM sign_offs s WHERE s.slide_id = i.slide_id ORDER BY s.id DESC LIMIT 1) = 'signed'`
  ).all(JSON.stringify(imageIds))
  return new Set(rows.map((r) => r.id))
}

/** A current label a reviewer or an expert set. */
export interface ReviewedLabel {
  imageId: number
  class: string
  source: 'reviewer' | 'expert'
  who: string
  at: string
}

/** Current labels set by a reviewer or an expert, other than `excludeClass`, optionally on one slide; image id order. */
export function reviewedCurrentLabels(db: Db, opts: { excludeClass: string; slideId?: number }): ReviewedLabel[] {
  const bySlide = opts.slideId !== undefined
  return stmt<unknown[], ReviewedLabel>(
    db,
    `SELECT c.image_id AS imageId, c.class, c.source, c.who, c.at
     FROM current_labels c JOIN images i ON i.id = c.image_id
     WHERE c.source IN ('reviewer', 'expert') AND c.class <> ?${bySlide ? ' AND i.slide_id = ?' : ''}
     ORDER BY c.image_id`
  ).all(...(bySlide ? [opts.excludeClass, opts.slideId] : [opts.excludeClass]))
}
