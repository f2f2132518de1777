// A worker machine (`wbc worker`, docs/scale.md): takes fold jobs from the
// lab's training queue (BullMQ on Redis) and trains them, with everything
// else going through the lab server's API under the machine's worker
// credential: the run's snapshot (cached here by hash), the checkpoint to
// resume from, each epoch's checkpoint, the result. Redis only hands out jobs
// and keeps their locks.
//
// Why the pieces sit where they do:
// - Training runs in a worker thread (./fold-worker). BullMQ renews a job's
//   lock from this thread's event loop every half lock duration; a CPU-bound
//   batch here would let the lock lapse and the job be handed to another
//   worker while this one still trains it. The lock stays short (30 s by
//   default): a killed worker's fold is taken over within about a minute.
// - A heartbeat to the server every second carries progress (the UI shows it
//   as any job's) and brings back "stop": the run was cancelled, or another
//   worker took this fold over (only the newest attempt's uploads count).
//   A revoked credential fails the heartbeat: the worker stops and exits.
// - A killed worker's job is found stalled by another worker's BullMQ, which
//   takes it; the server answers its claim with the epoch of the last
//   checkpoint uploaded, and it resumes from there.
import { createRequire } from 'node:module'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { existsSync, readFileSync } from 'node:fs'
import { Worker, UnrecoverableError, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import type { ClaimAnswer, HeartbeatAnswer, TrainingJobData, WorkerHello, WorkerInfo } from '../../shared/workers'
import { spawnWorker, workerEntryUrl } from '../workers'
import { sha256Hex, snapshotFile, storeSnapshot } from './snapshot'
import { WorkerCallError, workerClient } from './worker-client'
import type { FoldWorkerData, FoldWorkerMessage } from './fold-worker'

export interface WorkerMachineOptions {
  server: string
  secret: string
  /** Reach Redis here instead of the address the server hands out. */
  redisUrl?: string
  /** Where snapshots (by hash) and checkpoint folders are kept (default: under the OS temp folder). */
  cacheDir?: string
  /** Training threads per fold (default: as many as the run was planned with, so results match a local run). */
  threads?: number
  /** Folds trained at once (default 1). */
  concurrency?: number
  /** Milliseconds between heartbeats (default 1000). */
  heartbeatMs?: number
  log?: (line: string) => void
}

export interface RunningWorkerMachine {
  hello: WorkerHello
  /** Resolves when the worker stops: closed, or its credential was revoked (then with 'revoked'). */
  stopped: Promise<'closed' | 'revoked'>
  close(): Promise<void>
}

/** Stopped on the server's word (cancelled run, fold taken over) or because the credential went away. */
class StopTraining extends Error {
  constructor(readonly why: 'cancelled' | 'superseded' | 'revoked') {
    super(why === 'revoked' ? 'this worker credential was revoked' : why === 'superseded' ? 'another worker took this fold over' : 'the run was cancelled')
  }
}

function versions(threads: number): WorkerInfo {
  const require = createRequire(import.meta.url)
  const read = (p: string): string => {
    try {
      return (JSON.parse(readFileSync(require.resolve(p), 'utf8')) as { version: string }).version
    } catch {
      return 'unknown'
    }
  }
  const wbc = (() => {
    const file = new URL('../../../package.json', import.meta.url)
    try {
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'unknown'
    } catch {
      return 'unknown'
    }
  })()
  return { host: hostname(), node: process.version, wbc, tfjs: read('@tensorflow/tfjs/package.json'), threads }
}

export async function startWorkerMachine(o: WorkerMachineOptions): Promise<RunningWorkerMachine> {
  const log = o.log ?? ((line: string) => console.log(line))
  const client = workerClient(o.server, o.secret)
  const baseInfo = versions(o.threads ?? -1)
  const hello = await client.call<WorkerHello>('hello', { info: { ...baseInfo, threads: Math.max(0, o.threads ?? 0) } })
  if (!hello.queue) throw new Error(`the server at ${client.server} has no training queue (start it with wbc serve --redis URL)`)
  const q = hello.queue
  const cacheDir = o.cacheDir ?? join(tmpdir(), `wbc-worker-${hello.worker.name}`)
  const connection = new Redis(o.redisUrl ?? q.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (err) => log(`redis: ${err.message}`))
  let revoked = false
  let resolveStopped!: (why: 'closed' | 'revoked') => void
  const stopped = new Promise<'closed' | 'revoked'>((r) => (resolveStopped = r))

  async function snapshotPath(d: TrainingJobData): Promise<string> {
    const dir = join(cacheDir, 'snapshots')
    const file = snapshotFile(dir, d.snapshot.sha256)
    if (existsSync(file)) return file
    const s = await client.call<{ sha256: string; bytes: Uint8Array }>('snapshot', { sha256: d.snapshot.sha256 })
    if (sha256Hex(s.bytes) !== d.snapshot.sha256) throw new Error(`snapshot ${d.snapshot.sha256.slice(0, 12)}: the download does not match its hash`)
    await storeSnapshot(dir, s.bytes)
    return file
  }

  function trainInThread(d: TrainingJobData, attemptId: number, data: FoldWorkerData, info: WorkerInfo, onRevoked: () => void): Promise<{ stored: boolean }> {
    return new Promise((resolve, reject) => {
      const thread = spawnWorker(workerEntryUrl('fold-worker'), { workerData: data })
      let latest = { done: 0, total: 0, epoch: 0, message: '' }
      let uploads: Promise<unknown> = Promise.resolve()
      let settled = false
      /** The thread sent its last word (done or failed): its exit is expected. */
      let said = false
      const end = (err: Error | null, value?: { stored: boolean }): void => {
        if (settled) return
        settled = true
        clearInterval(beat)
        if (err) reject(err)
        else resolve(value!)
      }
      const stop = (err: StopTraining | Error): void => {
        if (settled) return
        thread.postMessage({ type: 'cancel' })
        // It stops at its next batch; a thread that doesn't is ended.
        setTimeout(() => void thread.terminate(), 5_000).unref()
        end(err)
      }
      const refused = (err: unknown): void => {
        if (err instanceof WorkerCallError && err.code === 'forbidden') {
          onRevoked()
          stop(new StopTraining('revoked'))
        } else if (err instanceof WorkerCallError && err.code === 'cancelled') stop(new StopTraining('cancelled'))
        else if (err instanceof WorkerCallError && err.code === 'conflict') stop(new StopTraining('superseded'))
        else stop(err as Error)
      }
      const beat = setInterval(() => {
        client
          .call<HeartbeatAnswer>('heartbeat', { attemptId, progress: latest })
          .then((a) => {
            if (a.stop) stop(new StopTraining(a.stop))
          })
          .catch((err: unknown) => {
            // The server unreachable for a moment is not a reason to stop; a refusal is.
            if (err instanceof WorkerCallError && err.code === 'unavailable') log(`heartbeat: ${err.message}`)
            else refused(err)
          })
      }, o.heartbeatMs ?? 1000)
      thread.on('message', (m: FoldWorkerMessage) => {
        if (m.type === 'progress') latest = { done: m.done, total: m.total, epoch: m.epoch, message: `epoch ${m.epoch + 1}, ${m.message}`.slice(0, 300) }
        else if (m.type === 'epoch') {
          const bytes = m.bytes
          uploads = uploads.then(async () => {
            if (settled) return
            await client.call('putCheckpoint', { attemptId, sha256: sha256Hex(bytes), record: m.record }, bytes)
            log(`run ${d.runId} fold ${d.fold + 1}: epoch ${m.record.epoch} checkpoint uploaded`)
          })
          uploads.catch(refused)
        } else if (m.type === 'done') {
          said = true
          const bytes = m.bytes
          void uploads
            .then(() => client.call<{ stored: boolean }>('putResult', { attemptId, sha256: sha256Hex(bytes), info: { ...info, backend: m.backend } }, bytes))
            .then((r) => end(null, r), refused)
        } else if (m.type === 'failed') {
          said = true
          end(m.cancelled ? new StopTraining('cancelled') : new Error(m.message))
        }
      })
      thread.on('error', (err) => end(err))
      thread.on('exit', (code) => {
        if (!said) end(new Error(`the training thread ended (exit code ${code})`))
      })
    })
  }

  async function processJob(job: Job<TrainingJobData>): Promise<{ runId: number; fold: number; stored: boolean }> {
    const d = job.data
    const threads = o.threads ?? d.threads
    const info: WorkerInfo = { ...baseInfo, threads }
    const claim = await client.call<ClaimAnswer>('claim', { runId: d.runId, fold: d.fold, queueJobId: job.id ?? '', info }).catch((err: unknown) => {
      if (err instanceof WorkerCallError && err.code === 'forbidden') revoked = true
      throw err
    })
    if (claim.state === 'done') return { runId: d.runId, fold: d.fold, stored: false }
    if (claim.state === 'cancelled') throw new UnrecoverableError(`run ${d.runId} was cancelled`)
    const attemptId = claim.attemptId
    log(`run ${d.runId} fold ${d.fold + 1}: ${claim.resumeEpoch ? `resuming after epoch ${claim.resumeEpoch}` : 'training from the start'} (attempt ${attemptId})`)
    try {
      const snapshot = await snapshotPath(d)
      let checkpoint: Uint8Array | undefined
      if (claim.resumeEpoch > 0) {
        const c = await client.call<{ epoch: number; sha256?: string; bytes?: Uint8Array }>('checkpoint', { attemptId })
        if (c.bytes && c.sha256) {
          if (sha256Hex(c.bytes) !== c.sha256) throw new Error('the checkpoint download does not match its hash')
          checkpoint = c.bytes
        }
      }
      const data: FoldWorkerData = { job: d, snapshotPath: snapshot, checkpointDir: join(cacheDir, 'checkpoints', `run-${d.runId}`, `fold-${d.fold}`), checkpoint, threads }
      const r = await trainInThread(d, attemptId, data, info, () => (revoked = true))
      log(`run ${d.runId} fold ${d.fold + 1}: ${r.stored ? 'result stored' : 'already stored by another attempt'}`)
      return { runId: d.runId, fold: d.fold, stored: r.stored }
    } catch (err) {
      if (err instanceof StopTraining) {
        log(`run ${d.runId} fold ${d.fold + 1}: stopped (${err.message})`)
        // Revoked: the job goes back for another worker. Cancelled or taken over: nothing left to do here.
        if (err.why === 'revoked') throw err
        throw new UnrecoverableError(err.message)
      }
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
      await client.call('fail', { attemptId, message: (err as Error).message, final }).catch(() => undefined)
      throw err
    }
  }

  const worker = new Worker<TrainingJobData>(q.trainingQueue, processJob, {
    connection,
    prefix: q.prefix,
    concurrency: o.concurrency ?? 1,
    lockDuration: q.lockMs,
    stalledInterval: q.stalledMs,
    // A fold whose worker died twice is still worth a third machine; past that, something about the fold is wrong.
    maxStalledCount: 2
  })
  worker.on('error', (err) => log(`queue: ${err.message}`))
  worker.on('failed', (job, err) => {
    if (revoked) void shutdown('revoked')
    else if (job) log(`run ${job.data.runId} fold ${job.data.fold + 1}: failed: ${err.message}`)
  })
  let closing: Promise<void> | null = null
  const shutdown = (why: 'closed' | 'revoked'): Promise<void> => {
    closing ??= (async () => {
      if (why === 'revoked') log('this worker credential was revoked: stopping')
      // Not waiting for a fold in training: its job goes back to the queue and resumes elsewhere from its checkpoint.
      await worker.close(true).catch(() => undefined)
      await connection.quit().catch(() => undefined)
      resolveStopped(why)
    })()
    return closing
  }
  // Idle, a worker asks the server nothing: check now and then that its credential still stands.
  const check = setInterval(() => {
    client.call('hello', { info: { ...baseInfo, threads: Math.max(0, o.threads ?? 0) } }).catch((err: unknown) => {
      if (err instanceof WorkerCallError && err.code === 'forbidden') {
        revoked = true
        void shutdown('revoked')
      }
    })
  }, Math.min(10_000, q.stalledMs))
  check.unref()
  void stopped.then(() => clearInterval(check))
  log(`worker ${hello.worker.name} serving ${client.server} (queue ${q.trainingQueue}; cache ${cacheDir})`)
  return { hello, stopped, close: () => shutdown('closed') }
}
