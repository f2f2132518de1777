// Shared machinery of runs that train (train, crossval, finetune): the key
// that tells whether a new request is the same run as an unfinished one (so
// re-running a killed command resumes it), the runtime's checkpoint folder
// for a fold kept in step with the checkpoint stored in the database, the
// clock that adds a session's time to the run, and a run's summary for
// listings.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile, stat } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import type { Db } from '../../store/db'
import { workDirOf } from '../../paths'
import {
  addRunSeconds,
  deleteRunCheckpoint,
  getRunCheckpoint,
  listRuns,
  markInterruptedRuns,
  putRunCheckpoint,
  recordEpoch,
  type RunKind,
  type RunRow
} from '../../store/runs'
import { checkpointStatus, type EpochRecord } from './trainer'

/** Hash of everything that makes two run requests the same run. */
export function configKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex')
}

/**
 * The newest run of this kind and key that can be resumed or reported:
 * an unfinished one (interrupted, cancelled, failed) or a finished one.
 * Throws when one is running in another live process.
 */
export function findRunByKey(db: Db, kind: RunKind, key: string): RunRow | undefined {
  markInterruptedRuns(db)
  const matches = listRuns(db, { kind }).filter((r) => r.hyperparameters.configKey === key)
  const live = matches.find((r) => r.status === 'running' && r.pid !== process.pid)
  if (live) throw new Error(`run ${live.id} with these settings is running in process ${live.pid}; wait for it or cancel it`)
  return matches[matches.length - 1]
}

export { CHECKPOINT_ARCHIVE_FORMAT } from './checkpoint-dir'
import { CHECKPOINT_ARCHIVE_FORMAT } from './checkpoint-dir'

/**
 * Packs a folder tree into one buffer: a 4-byte little-endian header length,
 * a JSON list of [relative path, size], then the files' bytes. The runtime's
 * checkpoint layout stays its own business; this only moves its files.
 */
/**
 * The run's clock: each call adds the wall time since the last one (or since
 * the clock was made) to the run's stored seconds. Runs call it after each
 * fold and at every end, so a killed run keeps the time it spent.
 */
export function runClock(db: Db, runId: number): () => void {
  let accounted = Date.now()
  return () => {
    const now = Date.now()
    addRunSeconds(db, runId, (now - accounted) / 1000)
    accounted = now
  }
}

export async function packDir(dir: string): Promise<Uint8Array> {
  const files: string[] = []
  const walk = async (d: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else if (e.isFile()) files.push(p)
    }
  }
  await walk(dir)
  const bodies = await Promise.all(files.map((f) => readFile(f)))
  const header = Buffer.from(JSON.stringify(files.map((f, i) => [relative(dir, f).split(sep).join('/'), bodies[i].byteLength])))
  const len = Buffer.alloc(4)
  len.writeUInt32LE(header.byteLength)
  return Buffer.concat([len, header, ...bodies])
}

export async function unpackDir(archive: Uint8Array, dir: string): Promise<void> {
  const buf = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength)
  const n = buf.readUInt32LE(0)
  const entries = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as [string, number][]
  let off = 4 + n
  await rm(dir, { recursive: true, force: true })
  for (const [rel, size] of entries) {
    if (rel.split('/').includes('..')) throw new Error('checkpoint archive holds a path outside its folder')
    const p = join(dir, ...rel.split('/'))
    await mkdir(dirname(p), { recursive: true })
    await writeFile(p, buf.subarray(off, off + size))
    off += size
  }
}

/** Where the runtime keeps a fold's checkpoint while it trains (beside the database, see workDirOf; the database holds the copy that counts). */
export function foldCheckpointDir(db: Db, runId: number, fold: number, root?: string): string {
  const base = root ?? join(workDirOf(db.name), 'training')
  return join(base, `run-${runId}`, `fold-${fold}`)
}

/**
 * Makes the fold's checkpoint folder hold the newest checkpoint there is: the
 * folder's own when it is at least as new as the stored one, else the stored
 * one unpacked. A fold that never checkpointed starts from an empty folder.
 * Returns the epoch it resumes from.
 */
export async function prepareFoldCheckpoint(db: Db, runId: number, fold: number, dir: string): Promise<number> {
  const stored = getRunCheckpoint(db, runId, fold)
  let onDisk: number | undefined
  try {
    onDisk = (await checkpointStatus(dir))?.epoch
  } catch {
    onDisk = undefined
  }
  if (!stored) {
    if (onDisk === undefined) await rm(dir, { recursive: true, force: true })
    // A folder newer than the database (killed between the two writes) is still this run's.
    return onDisk ?? 0
  }
  if (onDisk !== undefined && onDisk >= stored.epoch) return onDisk
  await unpackDir(stored.archive, dir)
  return stored.epoch
}

/**
 * One finished epoch of a run's fold: its figures into the run's record, then
 * its checkpoint into the database (training and cross-validation alike).
 */
export async function recordFoldEpoch(db: Db, runId: number, fold: number, dir: string, e: EpochRecord): Promise<void> {
  recordEpoch(db, {
    runId,
    fold,
    epoch: e.epoch,
    trainLoss: e.trainLoss,
    trainAccuracy: e.trainAccuracy,
    learningRate: e.learningRate,
    valAccuracy: e.validation?.accuracy ?? null,
    valMacroF1: e.validation?.macro.f1 ?? null,
    valMetrics: e.validation ? { perClass: e.validation.perClass, confusion: e.validation.confusion } : null,
    seconds: e.seconds,
    imagesPerSecond: e.imagesPerSecond
  })
  await storeFoldCheckpoint(db, runId, fold, dir, e.epoch)
}

/** Copies the fold's checkpoint folder into the database. */
export async function storeFoldCheckpoint(db: Db, runId: number, fold: number, dir: string, epoch: number): Promise<void> {
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) return
  putRunCheckpoint(db, { runId, fold, epoch, format: CHECKPOINT_ARCHIVE_FORMAT, archive: await packDir(dir) })
}

/** Drops a finished fold's checkpoint (database row and folder). */
export async function dropFoldCheckpoint(db: Db, runId: number, fold: number, dir: string): Promise<void> {
  deleteRunCheckpoint(db, runId, fold)
  await rm(dir, { recursive: true, force: true })
}

