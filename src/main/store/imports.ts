// Import batches and what happened to each file they looked at.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'
import { ownerGone } from './live-process'

export type ImportBatchStatus = 'running' | 'done' | 'cancelled' | 'interrupted' | 'failed'
export type ImportFileStatus = 'imported' | 'duplicate' | 'failed' | 'skipped'

export interface ImportBatchRow {
  id: number
  sourcePath: string
  datasetId: number | null
  status: ImportBatchStatus
  startedAt: string
  finishedAt: string | null
  pid: number | null
  optionsJson: string
}

export interface ImportFileRecord {
  path: string
  status: ImportFileStatus
  reason?: string | null
  message?: string | null
  imageId?: number | null
  sha256?: string | null
  class?: string | null
  conflict?: boolean
}

export interface ImportFileRow extends Required<Omit<ImportFileRecord, 'conflict'>> {
  id: number
  batchId: number
  conflict: boolean
}

export function startImportBatch(db: Db, b: { sourcePath: string; datasetId: number | null; options?: unknown }): number {
  return Number(
    stmt(db, `INSERT INTO import_batches (source_path, dataset_id, status, started_at, pid, options_json) VALUES (?, ?, 'running', ?, ?, ?)`).run(
      b.sourcePath,
      b.datasetId,
      nowIso(),
      process.pid,
      JSON.stringify(b.options ?? {})
    ).lastInsertRowid
  )
}

export function finishImportBatch(db: Db, id: number, status: Exclude<ImportBatchStatus, 'running'>): void {
  stmt(db, 'UPDATE import_batches SET status = ?, finished_at = ? WHERE id = ?').run(status, nowIso(), id)
}

/** Batches left 'running' by a process that no longer exists (killed, crashed) become 'interrupted'. */
export function markInterruptedBatches(db: Db): number {
  const running = stmt<[], { id: number; pid: number | null }>(db, `SELECT id, pid FROM import_batches WHERE status = 'running'`).all()
  let n = 0
  for (const b of running) {
    if (!ownerGone(b.pid)) continue
    finishImportBatch(db, b.id, 'interrupted')
    n++
  }
  return n
}

export function recordImportFile(db: Db, batchId: number, f: ImportFileRecord): void {
  stmt(
    db,
    `INSERT INTO import_files (batch_id, path, status, reason, message, image_id, sha256, class, conflict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(batchId, f.path, f.status, f.reason ?? null, f.message ?? null, f.imageId ?? null, f.sha256 ?? null, f.class ?? null, f.conflict ? 1 : 0)
}

export function getImportBatch(db: Db, id: number): ImportBatchRow | undefined {
  return stmt<[number], ImportBatchRow>(
    db,
    `SELECT id, source_path AS sourcePath, dataset_id AS datasetId, status, started_at AS startedAt, finished_at AS finishedAt, pid,
            options_json AS optionsJson FROM import_batches WHERE id = ?`
  ).get(id)
}

export function listImportBatches(db: Db): ImportBatchRow[] {
  return stmt<[], ImportBatchRow>(
    db,
    `SELECT id, source_path AS sourcePath, dataset_id AS datasetId, status, started_at AS startedAt, finished_at AS finishedAt, pid,
            options_json AS optionsJson FROM import_batches ORDER BY id`
  ).all()
}

export function importFiles(db: Db, batchId: number): ImportFileRow[] {
  return stmt<[number], Omit<ImportFileRow, 'conflict'> & { conflict: number }>(
    db,
    `SELECT id, batch_id AS batchId, path, status, reason, message, image_id AS imageId, sha256, class, conflict
     FROM import_files WHERE batch_id = ? ORDER BY id`
  )
    .all(batchId)
    .map((r) => ({ ...r, conflict: r.conflict === 1 }))
}
