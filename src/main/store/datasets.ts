// Datasets: named sets of images (one per import by default, or curated sets
// for training). Membership only; an image may be in many datasets.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export interface DatasetRow {
  id: number
  name: string
  description: string
  createdAt: string
}

export interface DatasetSummary extends DatasetRow {
  imageCount: number
}

export interface DatasetImage {
  imageId: number
  sha256: string
  fileName: string
  format: string
  slideSampleId: string | null
  /** Current label, null when unlabelled. */
  class: string | null
}

export function ensureDataset(db: Db, name: string, description = ''): number {
  if (!name.trim()) throw new Error('a dataset needs a name')
  const found = stmt<[string], { id: number }>(db, 'SELECT id FROM datasets WHERE name = ?').get(name)
  if (found) return found.id
  return Number(stmt(db, 'INSERT INTO datasets (name, description, created_at) VALUES (?, ?, ?)').run(name, description, nowIso()).lastInsertRowid)
}

export function getDatasetByName(db: Db, name: string): DatasetRow | undefined {
  return stmt<[string], DatasetRow>(db, 'SELECT id, name, description, created_at AS createdAt FROM datasets WHERE name = ?').get(name)
}

export function listDatasets(db: Db): DatasetSummary[] {
  return stmt<[], DatasetSummary>(
    db,
    `SELECT d.id, d.name, d.description, d.created_at AS createdAt,
            (SELECT count(*) FROM dataset_images x WHERE x.dataset_id = d.id) AS imageCount
     FROM datasets d ORDER BY d.name`
  ).all()
}

/** Adds images to a dataset; returns how many were not in it yet. */
export function addToDataset(db: Db, datasetId: number, imageIds: Iterable<number>): number {
  const ins = stmt(db, 'INSERT OR IGNORE INTO dataset_images (dataset_id, image_id, added_at) VALUES (?, ?, ?)')
  const at = nowIso()
  let added = 0
  for (const id of imageIds) added += ins.run(datasetId, id, at).changes
  return added
}

/** The dataset's images with their current labels, in image id order. */
export function datasetImages(db: Db, datasetId: number): DatasetImage[] {
  return stmt<[number], DatasetImage>(
    db,
    `SELECT i.id AS imageId, i.sha256, i.file_name AS fileName, i.format, s.sample_id AS slideSampleId, c.class
     FROM dataset_images d
     JOIN images i ON i.id = d.image_id
     LEFT JOIN slides s ON s.id = i.slide_id
     LEFT JOIN current_labels c ON c.image_id = i.id
     WHERE d.dataset_id = ? ORDER BY i.id`
  ).all(datasetId)
}
