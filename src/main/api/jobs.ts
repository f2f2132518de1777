// Long work (import now; training and generation later) as jobs that run in a
// worker thread, never on the caller's event loop.
//
// Why a worker thread: the import reads, hashes and writes thousands of
// original files into SQLite through better-sqlite3, whose calls are
// synchronous. sharp's decoding already runs on libuv's pool, but the hashing
// and the SQL writes would still stall Electron's main loop (and with it every
// window's IPC) or the server's request handling. A worker_threads Worker has
// its own event loop and its own database connection (WAL lets the UI keep
// reading meanwhile), works identically under Electron, `wbc serve` and the
// tests, and can be terminated if it ignores a cancel. Electron's
// utilityProcess would isolate crashes too but exists only under Electron,
// and the import is already crash-safe (a killed import re-runs cleanly).
import { randomBytes } from 'node:crypto'
import type { Worker } from 'node:worker_threads'
import type { ApiError, JobKind, JobResults, JobSnapshot } from '../../shared/api'
import type { Progress } from '../../shared/progress'
import type { EventBus } from './events'
import type { JobParams, WorkerData, WorkerMessage } from './job-protocol'
import { spawnWorker, workerEntryUrl } from '../workers'

export interface JobRunner {
  start<K extends JobKind>(kind: K, title: string, params: JobParams[K]): JobSnapshot<K>
  get(id: string): JobSnapshot | undefined
  list(): JobSnapshot[]
  cancel(id: string): boolean
  /** The TensorFlow.js backend the latest ML job ran on; null before any did. */
  mlBackend(): string | null
  /** Cancels everything and waits for the workers to end (app quit, server stop). */
  close(): Promise<void>
}

export interface JobRunnerOptions {
  events: EventBus
  dbPath: string
  nativeBinding?: string
  /** The worker entry; default: job-worker beside this module (source or bundle). */
  workerUrl?: URL
  /** Finished jobs remembered for jobs.get / jobs.list. */
  keepFinished?: number
  /** Minimum ms between two progress events of one job. */
  progressIntervalMs?: number
  /** How long a cancelled job may take to stop before its worker is terminated. */
  cancelGraceMs?: number
}

interface RunningJob {
  snapshot: JobSnapshot
  worker: Worker | null
  lastProgressAt: number
  pendingProgress: ReturnType<typeof setTimeout> | null
  killTimer: ReturnType<typeof setTimeout> | null
  cancelling: boolean
  ended: Promise<void>
}

export function createJobRunner(opts: JobRunnerOptions): JobRunner {
  const jobs = new Map<string, RunningJob>()
  let lastBackend: string | null = null
  const workerUrl = opts.workerUrl ?? workerEntryUrl('job-worker')
  const keep = opts.keepFinished ?? 20
  const interval = opts.progressIntervalMs ?? 100
  const grace = opts.cancelGraceMs ?? 10_000

  const publicCopy = (s: JobSnapshot, withResult: boolean): JobSnapshot => ({ ...s, progress: { ...s.progress }, result: withResult ? s.result : null })

  function emitProgress(job: RunningJob): void {
    job.pendingProgress = null
    job.lastProgressAt = Date.now()
    const s = job.snapshot
    opts.events.emit('job.progress', { jobId: s.id, kind: s.kind, progress: { ...s.progress } })
  }

  function onProgress(job: RunningJob, progress: Progress): void {
    job.snapshot.progress = progress
    if (job.pendingProgress) return
    const wait = job.lastProgressAt + interval - Date.now()
    if (wait <= 0) emitProgress(job)
    else job.pendingProgress = setTimeout(() => emitProgress(job), wait)
  }

  function finish(job: RunningJob, state: 'succeeded' | 'failed' | 'cancelled', result: unknown, error: ApiError | null): void {
    const s = job.snapshot
    if (s.state !== 'running') return
    if (job.pendingProgress) {
      clearTimeout(job.pendingProgress)
      emitProgress(job)
    }
    if (job.killTimer) clearTimeout(job.killTimer)
    s.state = state
    s.finishedAt = new Date().toISOString()
    s.error = error
    s.result = result === null || result === undefined ? null : (result as JobResults[JobKind])
    opts.events.emit('job.finished', publicCopy(s, true))
    prune()
  }

  function prune(): void {
    const finished = [...jobs.values()].filter((j) => j.snapshot.state !== 'running')
    for (const j of finished.slice(0, Math.max(0, finished.length - keep))) jobs.delete(j.snapshot.id)
  }

  return {
    start(kind, title, params) {
      const id = `${kind}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
      const snapshot: JobSnapshot = {
        id,
        kind,
        state: 'running',
        title,
        progress: { task: kind, done: 0, total: 0 },
        startedAt: new Date().toISOString(),
        finishedAt: null,
        error: null,
        result: null
      }
      let resolveEnded!: () => void
      const job: RunningJob = {
        snapshot,
        worker: null,
        lastProgressAt: 0,
        pendingProgress: null,
        killTimer: null,
        cancelling: false,
        ended: new Promise<void>((r) => (resolveEnded = r))
      }
      jobs.set(id, job)
      const data: WorkerData = { kind, params, dbPath: opts.dbPath, nativeBinding: opts.nativeBinding }
      let worker: Worker
      try {
        worker = spawnWorker(workerUrl, { workerData: data })
      } catch (err) {
        finish(job, 'failed', null, { code: 'internal', message: `could not start the ${kind} worker: ${(err as Error).message}` })
        resolveEnded()
        return publicCopy(snapshot, false) as JobSnapshot<typeof kind>
      }
      job.worker = worker
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'progress') onProgress(job, msg.progress)
        else if (msg.type === 'backend') lastBackend = msg.name
        else if (msg.type === 'done') finish(job, msg.cancelled ? 'cancelled' : 'succeeded', msg.result, msg.cancelled ? { code: 'cancelled', message: 'cancelled' } : null)
        else if (msg.type === 'failed') finish(job, msg.error.code === 'cancelled' ? 'cancelled' : 'failed', null, msg.error)
      })
      worker.on('error', (err) => finish(job, 'failed', null, { code: 'internal', message: err.message }))
      worker.on('exit', (code) => {
        job.worker = null
        if (job.snapshot.state === 'running') {
          if (job.cancelling) finish(job, 'cancelled', null, { code: 'cancelled', message: 'cancelled' })
          else finish(job, 'failed', null, { code: 'internal', message: `the ${kind} worker stopped unexpectedly (exit code ${code})` })
        }
        resolveEnded()
      })
      return publicCopy(snapshot, false) as JobSnapshot<typeof kind>
    },
    get(id) {
      const job = jobs.get(id)
      return job ? publicCopy(job.snapshot, true) : undefined
    },
    list() {
      return [...jobs.values()].map((j) => publicCopy(j.snapshot, false)).reverse()
    },
    mlBackend() {
      return lastBackend
    },
    cancel(id) {
      const job = jobs.get(id)
      if (!job || job.snapshot.state !== 'running' || !job.worker) return false
      if (job.cancelling) return true
      job.cancelling = true
      job.worker.postMessage({ type: 'cancel' })
      const worker = job.worker
      job.killTimer = setTimeout(() => void worker.terminate(), grace)
      return true
    },
    async close() {
      const running = [...jobs.values()].filter((j) => j.worker)
      for (const j of running) {
        if (j.killTimer) clearTimeout(j.killTimer)
        j.cancelling = true
        void j.worker?.terminate()
      }
      await Promise.all(running.map((j) => j.ended))
    }
  }
}
