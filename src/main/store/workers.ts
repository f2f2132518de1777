// Rows of worker machines (migration 12): worker credentials (a hash of the
// secret, never the secret) and the attempts workers make at a run's folds.
// Plain reads and writes; the rules (who may issue, which attempt counts)
// live in src/main/people/worker-credentials.ts and src/main/queue.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export interface WorkerCredentialRow {
  id: number
  name: string
  createdBy: number | null
  createdByName: string
  createdAt: string
  revokedAt: string | null
  revokedByName: string | null
  lastSeenAt: string | null
}

const CRED_COLS = `id, name, created_by AS createdBy, created_by_name AS createdByName, created_at AS createdAt, revoked_at AS revokedAt,
  revoked_by_name AS revokedByName, last_seen_at AS lastSeenAt`

export function insertWorkerCredential(db: Db, c: { name: string; secretHash: string; createdBy: number | null; createdByName: string }): number {
  return Number(
    stmt(db, 'INSERT INTO worker_credentials (name, secret_hash, created_by, created_by_name, created_at) VALUES (?, ?, ?, ?, ?)').run(
      c.name,
      c.secretHash,
      c.createdBy,
      c.createdByName,
      nowIso()
    ).lastInsertRowid
  )
}

export function getWorkerCredential(db: Db, idOrName: number | string): WorkerCredentialRow | undefined {
  return stmt<[number | string], WorkerCredentialRow>(db, `SELECT ${CRED_COLS} FROM worker_credentials WHERE ${typeof idOrName === 'number' ? 'id' : 'name'} = ?`).get(idOrName)
}

export function workerCredentialByHash(db: Db, secretHash: string): WorkerCredentialRow | undefined {
  return stmt<[string], WorkerCredentialRow>(db, `SELECT ${CRED_COLS} FROM worker_credentials WHERE secret_hash = ?`).get(secretHash)
}

export function listWorkerCredentials(db: Db): WorkerCredentialRow[] {
  return stmt<[], WorkerCredentialRow>(db, `SELECT ${CRED_COLS} FROM worker_credentials ORDER BY id`).all()
}

export function revokeWorkerCredential(db: Db, id: number, byName: string): boolean {
  return stmt(db, 'UPDATE worker_credentials SET revoked_at = ?, revoked_by_name = ? WHERE id = ? AND revoked_at IS NULL').run(nowIso(), byName, id).changes === 1
}

export function touchWorkerCredential(db: Db, id: number): void {
  stmt(db, 'UPDATE worker_credentials SET last_seen_at = ? WHERE id = ?').run(nowIso(), id)
}

export type RemoteAttemptStatus = 'training' | 'done' | 'superseded' | 'failed' | 'cancelled'

export interface RemoteAttemptRow {
  id: number
  runId: number
  fold: number
  credentialId: number
  queueJobId: string
  startedFromEpoch: number
  lastEpoch: number
  status: RemoteAttemptStatus
  worker: Record<string, unknown>
  error: string | null
  startedAt: string
  updatedAt: string
}

const ATTEMPT_COLS = `id, run_id AS runId, fold, credential_id AS credentialId, queue_job_id AS queueJobId, started_from_epoch AS startedFromEpoch,
  last_epoch AS lastEpoch, status, worker_json AS workerJson, error, started_at AS startedAt, updated_at AS updatedAt`
type AttemptDbRow = Omit<RemoteAttemptRow, 'worker'> & { workerJson: string }
const toAttempt = ({ workerJson, ...r }: AttemptDbRow): RemoteAttemptRow => ({ ...r, worker: JSON.parse(workerJson) as Record<string, unknown> })

/** A new attempt at a fold; any older attempt still training is superseded (its uploads stop counting). */
export function startRemoteAttempt(
  db: Db,
  a: { runId: number; fold: number; credentialId: number; queueJobId: string; startedFromEpoch: number; worker: Record<string, unknown> }
): number {
  const at = nowIso()
  stmt(db, `UPDATE remote_attempts SET status = 'superseded', updated_at = ? WHERE run_id = ? AND fold = ? AND status = 'training'`).run(at, a.runId, a.fold)
  return Number(
    stmt(
      db,
      `INSERT INTO remote_attempts (run_id, fold, credential_id, queue_job_id, started_from_epoch, last_epoch, status, worker_json, started_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'training', ?, ?, ?)`
    ).run(a.runId, a.fold, a.credentialId, a.queueJobId, a.startedFromEpoch, a.startedFromEpoch, JSON.stringify(a.worker), at, at).lastInsertRowid
  )
}

export function getRemoteAttempt(db: Db, id: number): RemoteAttemptRow | undefined {
  const r = stmt<[number], AttemptDbRow>(db, `SELECT ${ATTEMPT_COLS} FROM remote_attempts WHERE id = ?`).get(id)
  return r && toAttempt(r)
}

export function listRemoteAttempts(db: Db, runId: number): RemoteAttemptRow[] {
  return stmt<[number], AttemptDbRow>(db, `SELECT ${ATTEMPT_COLS} FROM remote_attempts WHERE run_id = ? ORDER BY id`).all(runId).map(toAttempt)
}

export function setAttemptEpoch(db: Db, id: number, epoch: number): void {
  stmt(db, 'UPDATE remote_attempts SET last_epoch = ?, updated_at = ? WHERE id = ?').run(epoch, nowIso(), id)
}

export function endRemoteAttempt(db: Db, id: number, status: Exclude<RemoteAttemptStatus, 'training'>, opts: { error?: string; worker?: Record<string, unknown> } = {}): void {
  if (opts.worker) stmt(db, 'UPDATE remote_attempts SET worker_json = ? WHERE id = ?').run(JSON.stringify(opts.worker), id)
  stmt(db, `UPDATE remote_attempts SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status = 'training'`).run(status, opts.error ?? null, nowIso(), id)
}

/** Every attempt of a run still training ends (the run was cancelled or failed). */
export function endRunAttempts(db: Db, runId: number, status: 'cancelled' | 'failed'): void {
  stmt(db, `UPDATE remote_attempts SET status = ?, updated_at = ? WHERE run_id = ? AND status = 'training'`).run(status, nowIso(), runId)
}
