// Worker credentials: what lets a worker machine (`wbc worker`) take training
// jobs from the lab server, and nothing else. An admin issues one per
// machine; the secret is shown once and only its SHA-256 is stored (a
// 256-bit random secret needs no slow password hash: nobody can guess it,
// and a stolen database yields no usable secret). Revoking stamps the row
// (never deletes it: remote attempts keep naming it); the server re-checks
// the credential on every call, so a revoked worker stops at its next
// heartbeat. A worker credential is never a user: it holds no role, and the
// dispatcher lets it call only the contract's worker methods.
import { createHash, randomBytes } from 'node:crypto'
import type { Caller } from '../../shared/people'
import type { WorkerCredentialSummary } from '../../shared/workers'
import type { Db } from '../store/db'
import {
  getWorkerCredential, insertWorkerCredential, listWorkerCredentials, revokeWorkerCredential, touchWorkerCredential, workerCredentialByHash,
  type WorkerCredentialRow
} from '../store/workers'
import { PeopleError } from './errors'

/** Secrets look like `wbcw_<43 base64url chars>`: the prefix makes a leaked one easy to recognise (and to grep logs for). */
export const WORKER_SECRET_PREFIX = 'wbcw_'
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex')

export const toCredentialSummary = (r: WorkerCredentialRow): WorkerCredentialSummary => ({
  id: r.id,
  name: r.name,
  createdBy: r.createdByName,
  createdAt: r.createdAt,
  revokedAt: r.revokedAt,
  lastSeenAt: r.lastSeenAt
})

function requireAdmin(caller: Caller): void {
  if (!caller.roles.includes('admin')) throw new PeopleError('forbidden', 'only an admin manages worker credentials')
}

/** A new credential for a worker machine; the secret is in the answer only. */
export function issueWorkerCredential(db: Db, caller: Caller, name: string): WorkerCredentialSummary & { secret: string } {
  requireAdmin(caller)
  if (!NAME.test(name)) throw new PeopleError('invalid_input', 'a worker name is letters, digits, dot, dash, underscore (up to 64)')
  if (getWorkerCredential(db, name)) throw new PeopleError('conflict', `a worker credential named "${name}" exists (revoke it and pick a new name)`)
  const secret = WORKER_SECRET_PREFIX + randomBytes(32).toString('base64url')
  const id = insertWorkerCredential(db, { name, secretHash: hashSecret(secret), createdBy: caller.userId, createdByName: caller.name })
  return { ...toCredentialSummary(getWorkerCredential(db, id)!), secret }
}

export function revokeWorkerCredentialByName(db: Db, caller: Caller, name: string): WorkerCredentialSummary {
  requireAdmin(caller)
  const row = getWorkerCredential(db, name)
  if (!row) throw new PeopleError('not_found', `no worker credential named "${name}"`)
  if (!revokeWorkerCredential(db, row.id, caller.name)) throw new PeopleError('conflict', `worker credential "${name}" is already revoked`)
  return toCredentialSummary(getWorkerCredential(db, row.id)!)
}

export function workerCredentialSummaries(db: Db): WorkerCredentialSummary[] {
  return listWorkerCredentials(db).map(toCredentialSummary)
}

/** The live credential a presented secret belongs to (and it is seen now); undefined when unknown or revoked. */
export function authenticateWorker(db: Db, secret: string): WorkerCredentialRow | undefined {
  if (!secret.startsWith(WORKER_SECRET_PREFIX) || secret.length > 200) return undefined
  const row = workerCredentialByHash(db, hashSecret(secret))
  if (!row || row.revokedAt) return undefined
  touchWorkerCredential(db, row.id)
  return row
}
