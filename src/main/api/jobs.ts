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
//
// Classification is the exception to one worker per job: its jobs run in one
// resident worker, the warm inference service, started on the first and kept
// while jobs come (freed after `inferenceIdleMs` without one). Starting a
// worker, loading TensorFlow.js and the model and starting the inference
// pool's threads is most of a 200-cell slide's time when done per job.
import { randomBytes } from 'node:crypto'
import type { Worker } from 'node:worker_threads'
import type { ApiError, JobKind, JobResults, JobSnapshot } from '../../shared/api'
import type { Progress } from '../../shared/progress'
import type { EventBus } from './events'
import type { JobParams, ParentMessage, ResidentMessage, ResidentRequest, ResidentWorkerData, WorkerData, WorkerMessage } from './job-protocol'
import { spawnWorker, workerEntryUrl } from '../workers'
import { toApiError } from './errors'

export interface JobRunner {
  start<K extends JobKind>(kind: K, title: string, params: JobParams[K]): JobSnapshot<K>
  get(id: string): JobSnapshot | undefined
  list(): JobSnapshot[]
  cancel(id: string): boolean
  /** The TensorFlow.js backend the latest ML job ran on; null before any did. */
  mlBackend(): string | null
  /** The thread id of the resident worker (the warm inference service) while it is up, else null. */
  inferenceThread(): number | null
  /** The stored model the warm inference service holds loaded, else null. */
  inferenceModel(): number | null
  /** The default model changed: a running inference service loads it now (one that is not up starts with it). */
  defaultModelChanged(): void
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
  /** Kinds that run in the resident worker (default: classify). */
  residentKinds?: readonly JobKind[]
  /** How long the resident worker stays up without a job (default 10 minutes). */
  inferenceIdleMs?: number
  /** Kinds that run on worker machines through the training queue (a lab server with Redis; docs/scale.md). */
  remote?: RemoteJobs
}

/**
 * Jobs run elsewhere (the lab server's queue): this process only waits for
 * them, relaying progress and cancel; nothing heavy runs in this thread.
 */
export interface RemoteJobs {
  handles(kind: JobKind): boolean
  run(kind: JobKind, params: unknown, ctx: { signal: AbortSignal; onProgress(p: Progress): void }): Promise<{ result: unknown; cancelled: boolean; backend?: string | null }>
}

interface RunningJob {
  snapshot: JobSnapshot
  /** Talks to the job's worker; null once it ended. */
  channel: { cancel(): void; kill(): void } | null
  lastProgressAt: number
  pendingProgress: ReturnType<typeof setTimeout> | null
  killTimer: ReturnType<typeof setTimeout> | null
  cancelling: boolean
  ended: Promise<void>
  resolveEnded: () => void
}

/** The resident worker and the jobs it is running. */
interface Resident {
  worker: Worker
  jobs: Map<string, RunningJob>
  idleTimer: ReturnType<typeof setTimeout> | null
  /** The model it said it holds. */
  modelId: number | null
  /** Loading a new default model: not idle until it says it holds it. */
  warming: boolean
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

  const residentKinds: ReadonlySet<JobKind> = new Set(opts.residentKinds ?? ['classify'])
  const idleMs = opts.inferenceIdleMs ?? 10 * 60_000
  let resident: Resident | null = null

  /** A job's message, from its own worker or from the resident one. */
  function onMessage(job: RunningJob, msg: WorkerMessage): void {
    if (msg.type === 'progress') onProgress(job, msg.progress)
    else if (msg.type === 'backend') lastBackend = msg.name
    else if (msg.type === 'done') finish(job, msg.cancelled ? 'cancelled' : 'succeeded', msg.result, msg.cancelled ? { code: 'cancelled', message: 'cancelled' } : null)
    else if (msg.type === 'failed') finish(job, msg.error.code === 'cancelled' ? 'cancelled' : 'failed', null, msg.error)
  }

  /** The worker stopped: a job it had not finished failed (or was cancelled, when asked). */
  function onWorkerEnd(job: RunningJob, kind: JobKind, detail: string): void {
    job.channel = null
    if (job.snapshot.state === 'running') {
      if (job.cancelling) finish(job, 'cancelled', null, { code: 'cancelled', message: 'cancelled' })
      else finish(job, 'failed', null, { code: 'internal', message: `the ${kind} worker ${detail}` })
    }
    job.resolveEnded()
  }

  function startRemote(job: RunningJob, kind: JobKind, params: unknown, remote: RemoteJobs): void {
    const controller = new AbortController()
    job.channel = { cancel: () => controller.abort(), kill: () => controller.abort() }
    remote
      .run(kind, params, { signal: controller.signal, onProgress: (p) => onProgress(job, p) })
      .then(({ result, cancelled, backend }) => {
        if (backend) lastBackend = backend
        finish(job, cancelled ? 'cancelled' : 'succeeded', result, cancelled ? { code: 'cancelled', message: 'cancelled' } : null)
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) finish(job, 'cancelled', null, { code: 'cancelled', message: 'cancelled' })
        else finish(job, 'failed', null, toApiError(err))
      })
      .finally(() => {
        job.channel = null
        job.resolveEnded()
      })
  }

  function startOwnWorker(job: RunningJob, kind: JobKind, params: unknown): void {
    const data: WorkerData = { kind, params, dbPath: opts.dbPath, nativeBinding: opts.nativeBinding } as WorkerData
    const worker = spawnWorker(workerUrl, { workerData: data })
    job.channel = {
      cancel: () => worker.postMessage({ type: 'cancel' } satisfies ParentMessage),
      kill: () => void worker.terminate()
    }
    worker.on('message', (msg: WorkerMessage) => onMessage(job, msg))
    worker.on('error', (err) => finish(job, 'failed', null, { code: 'internal', message: err.message }))
    worker.on('exit', (code) => onWorkerEnd(job, kind, `stopped unexpectedly (exit code ${code})`))
  }

  /** The resident worker, started on first use. */
  function residentWorker(): Resident {
    if (resident) return resident
    const data: ResidentWorkerData = { resident: true, dbPath: opts.dbPath, nativeBinding: opts.nativeBinding }
    const r: Resident = { worker: spawnWorker(workerUrl, { workerData: data }), jobs: new Map(), idleTimer: null, modelId: null, warming: false }
    r.worker.on('message', (msg: ResidentMessage) => {
      if (msg.type === 'holding') {
        // A warm-up that loaded nothing (no default, a job running, a failure) leaves what it held.
        if (msg.modelId !== null) r.modelId = msg.modelId
        if (msg.warmed && r.warming) {
          r.warming = false
          if (!r.jobs.size) idle(r)
        }
        return
      }
      const job = r.jobs.get(msg.jobId)
      if (!job) return
      onMessage(job, msg)
      if (job.snapshot.state !== 'running') {
        r.jobs.delete(msg.jobId)
        job.channel = null
        job.resolveEnded()
        if (!r.jobs.size) idle(r)
      }
    })
    const ended = (detail: string): void => {
      if (resident === r) resident = null
      if (r.idleTimer) clearTimeout(r.idleTimer)
      for (const [id, job] of r.jobs) {
        r.jobs.delete(id)
        onWorkerEnd(job, job.snapshot.kind, detail)
      }
    }
    r.worker.on('error', (err) => ended(`failed: ${err.message}`))
    r.worker.on('exit', (code) => ended(`stopped unexpectedly (exit code ${code})`))
    resident = r
    return r
  }

  /** No job in the resident worker: it no longer keeps the process alive, and ends after the idle time. */
  function idle(r: Resident): void {
    r.worker.unref()
    if (r.idleTimer) clearTimeout(r.idleTimer)
    r.idleTimer = setTimeout(() => {
      if (r.jobs.size || r.warming) return
      if (resident === r) resident = null
      r.worker.postMessage({ type: 'close' } satisfies ResidentRequest)
      // It frees its pool and ends by itself; this is only a backstop.
      setTimeout(() => void r.worker.terminate(), 5_000).unref()
    }, idleMs)
    r.idleTimer.unref()
  }

  function startResident(job: RunningJob, kind: JobKind, params: unknown): void {
    const r = residentWorker()
    if (r.idleTimer) clearTimeout(r.idleTimer)
    r.idleTimer = null
    r.worker.ref()
    r.jobs.set(job.snapshot.id, job)
    const jobId = job.snapshot.id
    job.channel = {
      cancel: () => r.worker.postMessage({ type: 'cancel', jobId } satisfies ResidentRequest),
      // A job that ignores its cancel takes the whole service down with it; the next classification starts a fresh one.
      kill: () => void r.worker.terminate()
    }
    r.worker.postMessage({ type: 'run', jobId, kind, params } as ResidentRequest)
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
        channel: null,
        lastProgressAt: 0,
        pendingProgress: null,
        killTimer: null,
        cancelling: false,
        ended: new Promise<void>((r) => (resolveEnded = r)),
        resolveEnded: () => resolveEnded()
      }
      jobs.set(id, job)
      try {
        if (opts.remote?.handles(kind)) startRemote(job, kind, params, opts.remote)
        else if (residentKinds.has(kind)) startResident(job, kind, params)
        else startOwnWorker(job, kind, params)
      } catch (err) {
        finish(job, 'failed', null, { code: 'internal', message: `could not start the ${kind} worker: ${(err as Error).message}` })
        job.resolveEnded()
      }
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
    inferenceThread() {
      return resident?.worker.threadId ?? null
    },
    inferenceModel() {
      return resident?.modelId ?? null
    },
    defaultModelChanged() {
      const r = resident
      if (!r) return
      // Not idle while it loads (its idle time starts again once it holds the new model).
      r.warming = true
      if (r.idleTimer) clearTimeout(r.idleTimer)
      r.idleTimer = null
      r.worker.postMessage({ type: 'warm' } satisfies ResidentRequest)
    },
    cancel(id) {
      const job = jobs.get(id)
      if (!job || job.snapshot.state !== 'running' || !job.channel) return false
      if (job.cancelling) return true
      job.cancelling = true
      const channel = job.channel
      channel.cancel()
      job.killTimer = setTimeout(() => channel.kill(), grace)
      return true
    },
    async close() {
      const running = [...jobs.values()].filter((j) => j.channel)
      for (const j of running) {
        if (j.killTimer) clearTimeout(j.killTimer)
        j.cancelling = true
        j.channel?.kill()
      }
      const r = resident
      resident = null
      if (r) {
        if (r.idleTimer) clearTimeout(r.idleTimer)
        const exited = new Promise<void>((done) => r.worker.once('exit', () => done()))
        void r.worker.terminate()
        await exited
      }
      await Promise.all(running.map((j) => j.ended))
    }
  }
}
