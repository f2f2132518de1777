// Keeping a serving database healthy: WAL checkpoints while it serves, and an
// online backup taken with SQLite's backup API while other connections read
// and write (the lab server keeps serving; docs/scale.md, "Backup and restore").
import { existsSync, renameSync, rmSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import type { Db } from './db'
import { registerAuditFunctions, verifyAuditChain, type AuditVerification } from './audit'

export interface CheckpointResult {
  mode: 'TRUNCATE' | 'PASSIVE'
  /** A reader or writer kept the checkpoint from finishing (it copies what it can; the next one goes on). */
  busy: boolean
  /** Frames in the WAL, and how many of them are now in the database file. */
  walFrames: number
  checkpointed: number
}

/**
 * Moves the WAL's pages into the database file. First tries TRUNCATE (which
 * also shrinks the -wal file to nothing) without waiting for anybody, so a
 * long reader (a training job) never stalls the server's thread; when that is
 * busy, a PASSIVE checkpoint copies what it can. SQLite's own automatic
 * checkpoint runs at commits past 1000 pages; this one covers a WAL that
 * readers kept from being reset, and returns the file to its size after a burst.
 */
export function checkpointWal(db: Db): CheckpointResult {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number
  db.pragma('busy_timeout = 0')
  try {
    const row = (db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[])[0]!
    if (!row.busy) return { mode: 'TRUNCATE', busy: false, walFrames: row.log, checkpointed: row.checkpointed }
    const passive = (db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[])[0]!
    return { mode: 'PASSIVE', busy: passive.busy === 1 || passive.checkpointed < passive.log, walFrames: passive.log, checkpointed: passive.checkpointed }
  } finally {
    db.pragma(`busy_timeout = ${timeout}`)
  }
}

/** Runs checkpointWal every `everyMs` on `db` until stopped; a failure is logged and the next run tries again. */
export function startWalCheckpoints(db: Db, everyMs: number, onResult?: (r: CheckpointResult) => void): () => void {
  const timer = setInterval(() => {
    try {
      const r = checkpointWal(db)
      onResult?.(r)
    } catch (err) {
      console.error('WAL checkpoint failed:', err)
    }
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}

export interface BackupReport {
  file: string
  pages: number
  bytes: number
  /** PRAGMA integrity_check of the copy: 'ok' or the first problems. */
  integrity: string
  audit: AuditVerification
  seconds: number
}

/**
 * Copies the database to `out` with SQLite's online backup API while others
 * keep reading and writing it, then checks the copy. All pages are copied in
 * one step: in WAL mode that is one read snapshot, which writers do not wait
 * for, whereas a step-by-step copy restarts whenever another connection
 * writes between steps (and might never finish on a busy server). The copy
 * is written beside `out` under a temporary name, switched to a single file
 * (journal_mode DELETE: no -wal beside it), checked (integrity_check, the
 * audit chain), and only then renamed to `out`; an existing `out` is refused.
 */
export async function backupDatabase(db: Db, out: string): Promise<BackupReport> {
  const file = resolve(out)
  if (existsSync(file)) throw new Error(`${file} exists already: choose a new file for the backup`)
  if (!existsSync(dirname(file))) throw new Error(`no such folder: ${dirname(file)}`)
  const partial = join(dirname(file), `.${basename(file)}.partial-${process.pid}`)
  rmSync(partial, { force: true })
  const started = performance.now()
  try {
    const progress = await db.backup(partial, { progress: () => 0x7fffffff })
    const copy = new Database(partial)
    let integrity: string
    let audit: AuditVerification
    try {
      copy.pragma('journal_mode = DELETE')
      registerAuditFunctions(copy)
      const rows = copy.pragma('integrity_check') as { integrity_check: string }[]
      integrity = rows.map((r) => r.integrity_check).slice(0, 5).join('; ')
      audit = verifyAuditChain(copy)
    } finally {
      copy.close()
    }
    if (integrity !== 'ok') throw new Error(`the backup failed its integrity check: ${integrity}`)
    if (!audit.ok || audit.missingTriggers.length) throw new Error(`the backup's audit chain is broken${audit.firstBreak ? ` at ${audit.firstBreak.table} #${audit.firstBreak.id}` : ''}: the source database needs \`wbc audit verify\``)
    renameSync(partial, file)
    const pageSize = db.pragma('page_size', { simple: true }) as number
    return { file, pages: progress.totalPages, bytes: progress.totalPages * pageSize, integrity, audit, seconds: (performance.now() - started) / 1000 }
  } finally {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(partial + suffix, { force: true })
  }
}
