// The workstation's API as one object a shell opens: the contract's handlers
// over the core, the event channel, and the job runner. openWorkstation runs
// it in the calling thread (tests, the core host's worker);
// startWorkstationHost (./host) runs it in a worker thread for the shells.
import { openStore, startWalCheckpoints } from '../store'
import { LOCAL_OPERATOR, authenticateWorker, callerOf } from '../people'
import { createDispatch, type Dispatch, type ResolveCaller } from './dispatch'
import type { Db } from '../store/db'
import { createEventBus, type EventBus } from './events'
import { createHandlers } from './handlers'
import { announceClassifications } from './review'
import { createJobRunner } from './jobs'
import { outboxView, startOutboxCourier } from '../lis'
import { openLabQueue, type QueueSettings } from '../queue/lab-queue'
import { remoteTrainingJobs } from './remote-jobs'

export interface WorkstationOptions {
  shell: 'desktop' | 'browser'
  version: string
  /** The SQLite database file. */
  dbPath: string
  /** An Electron-ABI better-sqlite3 binary (desktop only; see docs/desktop.md). */
  nativeBinding?: string
  /** Folders imports may come from, resolved (./import-roots); absent or null: anywhere. */
  importRoots?: readonly string[] | null
  /** Browser mode's idle limit, shown to the UI by session.state. */
  sessionIdleMinutes?: number | null
  /** How often the WAL is checkpointed while the workstation runs (default 5 minutes; store/maintenance). */
  walCheckpointMs?: number
  /** Train on worker machines through this Redis-backed queue (a lab server; docs/scale.md). */
  queue?: QueueSettings
}

const WAL_CHECKPOINT_MS = 5 * 60_000

/** What a shell holds: call the contract, listen to its events, close. */
export interface Workstation {
  dispatch: Dispatch
  events: Pick<EventBus, 'subscribe'>
  close(): Promise<void>
}

/** Principals as callers: the local operator as such, a user id as that user while enabled. */
export function callersOf(db: Db): ResolveCaller {
  return (p) => {
    if (p === 'local-operator') return LOCAL_OPERATOR
    if ('workerSecret' in p) {
      const w = authenticateWorker(db, p.workerSecret)
      return w && { userId: null, name: `worker ${w.name}`, roles: [], worker: { credentialId: w.id } }
    }
    return callerOf(db, p.userId)
  }
}

export function openWorkstation(opts: WorkstationOptions, overrides: { jobWorkerUrl?: URL } = {}): Workstation {
  const db = openStore(opts.dbPath, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {})
  const events = createEventBus()
  const stopCheckpoints = startWalCheckpoints(db, opts.walCheckpointMs ?? WAL_CHECKPOINT_MS)
  const labQueue = opts.queue ? openLabQueue(db, opts.queue) : undefined
  const jobs = createJobRunner({
    events,
    dbPath: opts.dbPath,
    nativeBinding: opts.nativeBinding,
    workerUrl: overrides.jobWorkerUrl,
    ...(labQueue ? { remote: remoteTrainingJobs(labQueue) } : {})
  })
  // Sends what the outbox holds, starting with whatever was left when the
  // workstation last stopped.
  const outbox = startOutboxCourier(db, { onChange: (rows) => events.emit('outbox.changed', { messages: rows.map(outboxView) }) })
  const handlers = createHandlers({
    shell: opts.shell,
    version: opts.version,
    dbPath: opts.dbPath,
    db,
    events,
    jobs,
    mlBackend: () => jobs.mlBackend(),
    importRoots: opts.importRoots ?? null,
    outbox,
    sessionIdleMinutes: opts.sessionIdleMinutes ?? null,
    ...(labQueue ? { labQueue } : {})
  })
  const stopAnnouncing = announceClassifications({ db, events })
  return {
    dispatch: createDispatch(handlers, callersOf(db)),
    events,
    async close() {
      stopCheckpoints()
      stopAnnouncing()
      await outbox.close()
      await jobs.close()
      await labQueue?.close()
      db.close()
    }
  }
}

export type { Dispatch, Principal } from './dispatch'
export type { EventBus } from './events'
