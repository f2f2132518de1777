// The contract's worker-machine methods (docs/scale.md): an admin's worker
// credentials, and the calls a `wbc worker` makes with one (the dispatcher
// has already checked that a worker credential, and only one, calls these).
// Rules live in src/main/people/worker-credentials and src/main/queue.
import type { Method } from '../../shared/api'
import { issueWorkerCredential, revokeWorkerCredentialByName, workerCredentialSummaries } from '../people'
import { getWorkerCredential } from '../store/workers'
import { readSnapshot } from '../queue/snapshot'
import { checkpointFor, claimFold, heartbeat, recordFailure, storeEpoch, storeResult } from '../queue/remote-runs'
import type { LabQueue } from '../queue/lab-queue'
import { workDirOf } from '../paths'
import { join } from 'node:path'
import type { Caller } from '../../shared/people'
import type { Handlers } from './dispatch'
import type { ApiContext } from './handlers'
import { ApiFailure, notFound } from './errors'

type WorkerMethod = Extract<Method, `workers.${string}` | `worker.${string}`>

/** The credential behind a worker caller (the dispatcher let only worker callers through). */
const credentialOf = (caller: Caller): number => {
  if (!caller.worker) throw new ApiFailure('forbidden', 'a worker credential is needed')
  return caller.worker.credentialId
}

export function workerHandlers(ctx: Pick<ApiContext, 'db' | 'dbPath' | 'version'> & { labQueue?: LabQueue }): Pick<Handlers, WorkerMethod> {
  const db = () => ctx.db
  const snapshots = () => join(workDirOf(ctx.dbPath), 'snapshots')
  return {
    'workers.issue': ({ name }, { caller }) => issueWorkerCredential(db(), caller, name),
    'workers.revoke': ({ name }, { caller }) => revokeWorkerCredentialByName(db(), caller, name),
    'workers.list': () => workerCredentialSummaries(db()),
    'worker.hello': (_input, { caller }) => {
      const row = getWorkerCredential(db(), credentialOf(caller))!
      return { worker: { id: row.id, name: row.name }, server: { version: ctx.version }, queue: ctx.labQueue?.hello() ?? null }
    },
    'worker.claim': (c, { caller }) => claimFold(db(), credentialOf(caller), c),
    'worker.heartbeat': ({ attemptId, progress }, { caller }) => {
      const { stop, attempt } = heartbeat(db(), credentialOf(caller), attemptId)
      if (attempt) ctx.labQueue?.listener.progress(attempt.runId, attempt.fold, progress)
      return { stop }
    },
    'worker.snapshot': async ({ sha256 }) => {
      const bytes = await readSnapshot(snapshots(), sha256)
      if (!bytes) throw notFound(`snapshot ${sha256.slice(0, 12)}`)
      return { sha256, bytes }
    },
    'worker.checkpoint': ({ attemptId }, { caller }) => checkpointFor(db(), credentialOf(caller), attemptId),
    'worker.putCheckpoint': (u, { caller }) => {
      const r = storeEpoch(db(), credentialOf(caller), u)
      return { stored: r.stored }
    },
    'worker.putResult': async (u, { caller }) => {
      const r = await storeResult(db(), credentialOf(caller), u)
      if (r.stored) ctx.labQueue?.listener.foldStored(r.runId, r.fold)
      return { stored: r.stored }
    },
    'worker.fail': (f, { caller }) => {
      const r = recordFailure(db(), credentialOf(caller), f)
      if (r.runFailed) ctx.labQueue?.listener.runFailed(r.runId, f.message)
      return { recorded: true as const }
    }
  }
}
