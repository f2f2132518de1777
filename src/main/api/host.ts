// Runs the workstation's API in its own worker thread, so the shell's thread
// (Electron's main loop, the server's request loop) never waits on SQLite:
// better-sqlite3 is synchronous, and even quick reads of image blobs add up
// when a gallery asks for hundreds of cells. The shell keeps only the
// transport; calls and events cross as structured-clone messages.
//
// The host also supervises the core: if the thread dies (a native crash in a
// decoder, out of memory, a bug), calls in flight fail `internal`, every job
// it was running is reported failed (a `job.finished` event, and `jobs.get`
// keeps answering for it), and a fresh core is started that first releases
// the database rows the dead one held (store/orphans). A core that keeps
// dying right after starting is given up on, so a broken database does not
// spin forever.
import type { ApiEvent, JobKind, JobSnapshot, Result } from '../../shared/api'
import { JOB_KINDS } from '../../shared/api'
import type { Principal } from './dispatch'
import type { EventListener } from './events'
import type { Workstation, WorkstationOptions } from './index'
import { spawnWorker, workerEntryUrl } from '../workers'
import type { Worker } from 'node:worker_threads'

export type HostRequest = { type: 'call'; id: number; method: unknown; payload: unknown; principal: Principal } | { type: 'close' }
export type HostMessage =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; event: ApiEvent }
  | { type: 'closed' }

/** What the core worker is started with: the workstation's options, and whether an earlier core of this process died. */
export interface CoreWorkerData extends WorkstationOptions {
  releaseOrphans?: boolean
}

export interface HostedWorkstation extends Workstation {
  /** How many times the core was restarted after it died. */
  restarts(): number
  /** Ends the core thread the way a crash would (for tests and an operator's watchdog); the host restarts it. */
  killCore(): Promise<void>
}

/** More deaths than this within RESTART_WINDOW_MS: stop restarting. */
const MAX_RAPID_RESTARTS = 5
const RESTART_WINDOW_MS = 60_000
/** Jobs the dead cores were running, remembered for jobs.get. */
const KEEP_LOST_JOBS = 50

export async function startWorkstationHost(opts: WorkstationOptions): Promise<HostedWorkstation> {
  const pending = new Map<number, (r: Result<unknown>) => void>()
  const listeners = new Set<EventListener>()
  /** Jobs the current core runs, as far as its events and start answers tell. */
  const running = new Map<string, JobSnapshot>()
  const lost = new Map<string, JobSnapshot>()
  const deaths: number[] = []
  let nextId = 1
  let dead: string | null = null
  let closing = false
  let restarts = 0
  let worker: Worker
  let ready: Promise<void>

  const emit = (event: ApiEvent): void => {
    for (const l of [...listeners]) l(event)
  }

  const track = (event: ApiEvent): void => {
    if (event.name === 'job.progress') {
      const known = running.get(event.payload.jobId)
      if (known) known.progress = event.payload.progress
      else running.set(event.payload.jobId, skeleton(event.payload.jobId, event.payload.kind, event.payload.progress))
    } else if (event.name === 'job.finished') running.delete(event.payload.id)
  }

  const failInFlight = (message: string): void => {
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'internal', message } })
    pending.clear()
  }

  /** The core died: its calls and jobs fail, and (unless it keeps dying) a new one starts. */
  const onDeath = (why: string): void => {
    failInFlight(`the workstation core stopped (${why}); it is being restarted`)
    const finishedAt = new Date().toISOString()
    for (const job of running.values()) {
      const failed: JobSnapshot = { ...job, state: 'failed', finishedAt, error: { code: 'internal', message: `the workstation core stopped while this job ran (${why}); run it again` }, result: null }
      lost.set(job.id, failed)
      emit({ name: 'job.finished', payload: failed })
    }
    running.clear()
    while (lost.size > KEEP_LOST_JOBS) lost.delete(lost.keys().next().value!)
    const now = Date.now()
    deaths.push(now)
    while (deaths.length && deaths[0] < now - RESTART_WINDOW_MS) deaths.shift()
    if (deaths.length > MAX_RAPID_RESTARTS) {
      dead = `the workstation core stopped ${deaths.length} times within a minute (last: ${why}); restart the workstation`
      console.error(dead)
      return
    }
    console.error(`the workstation core stopped (${why}); restarting it`)
    restarts++
    ready = spawn(true).catch((err: Error) => {
      dead = `the workstation core could not be restarted: ${err.message}`
    })
  }

  function spawn(releaseOrphans: boolean): Promise<void> {
    const data: CoreWorkerData = { ...opts, ...(releaseOrphans ? { releaseOrphans } : {}) }
    const w = spawnWorker(workerEntryUrl('core-worker'), { workerData: data })
    worker = w
    let started = false
    return new Promise<void>((resolve, reject) => {
      w.on('message', (msg: HostMessage) => {
        switch (msg.type) {
          case 'ready':
            started = true
            resolve()
            break
          case 'fatal':
            reject(new Error(msg.message))
            break
          case 'result':
            pending.get(msg.id)?.(msg.result)
            pending.delete(msg.id)
            break
          case 'event':
            track(msg.event)
            emit(msg.event)
            break
        }
      })
      let reported = false
      const died = (why: string): void => {
        if (reported) return
        reported = true
        if (!started) {
          reject(new Error(why))
          return
        }
        if (closing) {
          dead = 'the workstation is closed'
          failInFlight(dead)
          return
        }
        onDeath(why)
      }
      w.on('error', (err) => died(err.message))
      w.on('exit', (code) => died(`exit code ${code}`))
    })
  }

  ready = spawn(false)
  await ready

  const send = (method: unknown, payload: unknown, principal: Principal): Promise<Result<unknown>> => {
    if (dead) return Promise.resolve({ ok: false, error: { code: 'internal', message: dead } })
    const id = nextId++
    return new Promise((resolve) => {
      pending.set(id, resolve)
      try {
        worker.postMessage({ type: 'call', id, method, payload, principal } satisfies HostRequest)
      } catch (err) {
        // A payload that cannot be cloned (a function, a DOM object) is a bad payload.
        pending.delete(id)
        resolve({ ok: false, error: { code: 'invalid_input', message: `payload cannot be sent: ${(err as Error).message}` } })
      }
    })
  }

  return {
    async dispatch(method, payload, principal) {
      await ready
      const result = await send(method, payload, principal)
      // A job a dead core ran: answered here, the new core never knew it (the core has just checked the caller may ask).
      const asked = (payload as { jobId?: unknown } | null | undefined)?.jobId
      if (method === 'jobs.get' && typeof asked === 'string' && lost.has(asked) && !result.ok && result.error.code === 'not_found') {
        return { ok: true, value: lost.get(asked) }
      }
      if (result.ok) {
        const jobId = (result.value as { jobId?: unknown } | null)?.jobId
        if (typeof jobId === 'string' && !running.has(jobId)) running.set(jobId, skeleton(jobId, kindOf(jobId), { task: kindOf(jobId), done: 0, total: 0 }))
        if (method === 'jobs.list' && Array.isArray(result.value) && lost.size) return { ok: true, value: [...(result.value as JobSnapshot[]), ...[...lost.values()].reverse()] }
      }
      return result
    },
    events: {
      subscribe(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      }
    },
    restarts: () => restarts,
    async killCore() {
      const w = worker
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()))
      await w.terminate()
      await exited
      await ready
    },
    async close() {
      if (dead) return
      closing = true
      await ready
      const w = worker
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()))
      w.postMessage({ type: 'close' } satisfies HostRequest)
      const timer = setTimeout(() => void w.terminate(), 15_000)
      await exited
      clearTimeout(timer)
    }
  }
}

function kindOf(jobId: string): JobKind {
  const k = jobId.split('-')[0]
  return (JOB_KINDS as readonly string[]).includes(k) ? (k as JobKind) : 'import'
}

function skeleton(id: string, kind: JobKind, progress: JobSnapshot['progress']): JobSnapshot {
  return { id, kind, state: 'running', title: '', progress, startedAt: new Date().toISOString(), finishedAt: null, error: null, result: null }
}
