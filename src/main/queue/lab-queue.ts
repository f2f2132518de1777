// The lab server's side of the training queue (docs/scale.md): BullMQ on
// Redis. A cross-validation becomes a flow: one parent job (the run's
// summary, in the summaries queue that only the server works) over one child
// job per unfinished fold (in the training queue that worker machines work).
// BullMQ moves the parent to its queue when the last fold completes, and the
// server then builds the run's report. A training run is the same flow with
// one child. Fold jobs carry coordination only (run,
// fold, seed, settings, the snapshot's hash): pixels, checkpoints and models
// travel through the server's API, never through Redis.
//
// The job that started the run (the workstation's job runner) waits here for
// the summary, and gets each worker's progress relayed from its heartbeats.
// Cancelling it stops the run in the store (workers learn at their next
// heartbeat) and removes the fold jobs no worker has taken yet.
import type { FlowProducer, Job, Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { join } from 'node:path'
import type { Db } from '../store/db'
import { workDirOf } from '../paths'
import { addRunSeconds, claimRun, finishRun, getRun, runFolds, runImages as runImagesOf } from '../store/runs'
import { endRunAttempts, listRemoteAttempts } from '../store/workers'
import type { CrossvalOptions, CrossvalReport } from '../ml/train/cross-validation'
import type { TrainRunOptions, TrainRunReport } from '../ml/train/training-run'
import { setDefaultModel } from '../store/models'
import type { Progress } from '../../shared/progress'
import type { TrainingJobData, WorkerHello } from '../../shared/workers'
import { encodeSnapshot, storeSnapshot, type SnapshotHeader } from './snapshot'
import type { RunListener } from './remote-runs'

export const TRAINING_QUEUE = 'wbc-training'
export const SUMMARY_QUEUE = 'wbc-run-summaries'

export interface QueueSettings {
  /** Where the server reaches Redis: redis://[:password@]host:port[/db], rediss:// for TLS. */
  redisUrl: string
  /** The address handed to workers when they reach Redis under another name (default redisUrl). */
  workerRedisUrl?: string
  /** Key prefix in Redis (default "wbc"). */
  prefix?: string
  /** BullMQ lock duration (a running job's lock is renewed every half of it); default 30 s. */
  lockMs?: number
  /** How often workers look for stalled jobs (a dead worker's jobs); default 30 s. */
  stalledMs?: number
  /** Tries per fold job that fails with an error (a killed worker's stalled job is not a failure); default 3. */
  attempts?: number
}

export interface LabQueue {
  /** What a worker gets from worker.hello. */
  hello(): NonNullable<WorkerHello['queue']>
  /** Runs (or resumes) a cross-validation on the worker machines; resolves with its report when the last fold is summarised. */
  crossval(o: CrossvalOptions & RemoteRunHooks): Promise<CrossvalReport>
  /** Runs (or resumes) a training run on a worker machine; resolves with its report once its model is stored. */
  train(o: TrainRunOptions & RemoteRunHooks): Promise<TrainRunReport>
  /** Relays what workers report (./remote-runs) to the run's waiting job. */
  listener: RunListener
  close(): Promise<void>
}

export interface RemoteRunHooks {
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
  onRun?: (runId: number) => void
}

interface Waiting {
  resolve(r: CrossvalReport | TrainRunReport): void
  reject(err: Error): void
  onProgress?: (p: Progress) => void
  stepsOf(fold: number): number
  k: number
  task: 'crossval' | 'train'
  live: Map<number, { done: number; epoch: number }>
  done: Set<number>
  startedAt: number
  trainedAtStart: number
}

/** BullMQ's pieces on the server, made once bullmq and ioredis are loaded (on first use: a workstation without a queue never loads them). */
interface Bull {
  flow: FlowProducer
  summaries: Queue
  training: Queue
  summaryWorker: Worker
  fromId: typeof Job.fromId
}

export function openLabQueue(db: Db, settings: QueueSettings): LabQueue {
  const prefix = settings.prefix ?? 'wbc'
  const lockMs = settings.lockMs ?? 30_000
  const stalledMs = settings.stalledMs ?? 30_000
  const attempts = settings.attempts ?? 3
  const connections: Redis[] = []
  const waiting = new Map<number, Waiting>()
  const snapshotDir = join(workDirOf(db.name), 'snapshots')

  const emit = (runId: number, w: Waiting, message: string): void => {
    let done = 0
    let total = 0
    for (let f = 0; f < w.k; f++) {
      total += w.stepsOf(f)
      done += w.done.has(f) ? w.stepsOf(f) : (w.live.get(f)?.done ?? 0)
    }
    const trained = done - w.trainedAtStart
    const rate = trained / Math.max(1e-3, (Date.now() - w.startedAt) / 1000)
    w.onProgress?.({
      task: w.task,
      done,
      total,
      unit: 'step',
      etaSeconds: rate > 0 ? (total - done) / rate : undefined,
      metrics: { runId, folds: w.k, foldsDone: w.done.size, foldsTraining: w.live.size },
      message
    })
  }

  /** A training run's report from its stored fold 0 (model, validation, epochs); the run is done. */
  function summariseTraining(runId: number): TrainRunReport {
    const run = getRun(db, runId)!
    const fold = runFolds(db, runId)[0]
    if (fold?.status !== 'done') throw new Error(`run ${runId}: the summary ran before the model was stored`)
    const rec = fold.metrics as Pick<TrainRunReport, 'validation' | 'history' | 'trainCells' | 'validationCells' | 'resumedFromEpoch'>
    const { validationShare: _v, workers: _w, configKey: _k, ...settings } = run.hyperparameters as TrainRunReport['settings'] & Record<string, unknown>
    const report: TrainRunReport = {
      runId,
      status: 'done',
      modelId: fold.modelId,
      backend: run.backend,
      architecture: run.architecture,
      inputSize: run.inputSize,
      settings,
      seed: run.seed,
      trainCells: rec.trainCells,
      validationCells: rec.validationCells,
      history: rec.history,
      validation: rec.validation,
      resumedFromEpoch: rec.resumedFromEpoch,
      seconds: run.seconds
    }
    finishRun(db, runId, 'done', { metrics: report })
    return report
  }

  /** The run's report from its stored folds; the run is done. */
  async function summarise(runId: number): Promise<CrossvalReport | TrainRunReport | undefined> {
    const run = getRun(db, runId)
    if (!run) return undefined
    if (run.status === 'done' && run.metrics) return run.metrics as CrossvalReport
    if (run.status !== 'running') return undefined
    if (run.kind === 'train') return summariseTraining(runId)
    const { planFromRun, buildReport } = await import('../ml/train/cross-validation')
    const plan = planFromRun(db, run)
    const folds = runFolds(db, runId)
    if (folds.some((f) => f.status !== 'done')) throw new Error(`run ${runId}: the summary ran before every fold was stored`)
    const trained = [...new Set(listRemoteAttempts(db, runId).filter((a) => a.status === 'done').map((a) => a.fold))].sort((a, b) => a - b)
    const report = buildReport(db, plan, undefined, trained, 'done', run.backend)
    report.seconds = getRun(db, runId)!.seconds
    finishRun(db, runId, 'done', { metrics: report })
    return report
  }

  const bull: Promise<Bull> = (async () => {
    const { FlowProducer, Queue, Worker, Job } = await import('bullmq')
    const { Redis } = await import('ioredis')
    const conn = (): Redis => {
      const c = new Redis(settings.redisUrl, { maxRetriesPerRequest: null })
      // ioredis reconnects by itself; an error event without a listener would end the process.
      c.on('error', (err) => console.error(`redis (${prefix}): ${err.message}`))
      connections.push(c)
      return c
    }
    // Only the server works the summaries queue (it is the one process with the database).
    const summaryWorker = new Worker(SUMMARY_QUEUE, summaryJob, { connection: conn(), prefix, concurrency: 1, lockDuration: lockMs, stalledInterval: stalledMs })
    summaryWorker.on('error', (err) => console.error(`summary worker: ${err.message}`))
    return {
      flow: new FlowProducer({ connection: conn(), prefix }),
      summaries: new Queue(SUMMARY_QUEUE, { connection: conn(), prefix }),
      training: new Queue(TRAINING_QUEUE, { connection: conn(), prefix }),
      summaryWorker,
      fromId: Job.fromId.bind(Job) as typeof Job.fromId
    }
  })()
  bull.catch((err: unknown) => console.error(`the training queue could not start: ${(err as Error).message}`))

  async function summaryJob(job: Job<{ runId: number; startedAt: number }>): Promise<{ runId: number }> {
    const { runId } = job.data
    const w = waiting.get(runId)
    // The wall time since the server queued the run is the run's time (the folds ran side by side).
    if (getRun(db, runId)?.status === 'running') addRunSeconds(db, runId, (Date.now() - job.data.startedAt) / 1000)
    const report = await summarise(runId)
    if (w) {
      waiting.delete(runId)
      if (report) w.resolve(report)
      else w.reject(new Error(`run ${runId} ended before its summary (${getRun(db, runId)?.status ?? 'gone'})`))
    }
    return { runId }
  }

  const listener: RunListener = {
    progress(runId, fold, p) {
      const w = waiting.get(runId)
      if (!w) return
      w.live.set(fold, { done: p.done, epoch: p.epoch })
      emit(runId, w, `fold ${fold + 1}/${w.k}: ${p.message ?? `epoch ${p.epoch}`}`)
    },
    foldStored(runId, fold) {
      const w = waiting.get(runId)
      if (!w) return
      w.live.delete(fold)
      w.done.add(fold)
      emit(runId, w, `fold ${fold + 1}/${w.k} done`)
    },
    runFailed(runId, message) {
      const w = waiting.get(runId)
      if (!w) return
      waiting.delete(runId)
      w.reject(new Error(message))
    }
  }

  async function removeWaitingFolds(parentId: string): Promise<void> {
    // Jobs a worker holds (locked) can't be removed: those workers stop at their next heartbeat.
    const b = await bull
    const jobs = await b.training.getJobs(['waiting', 'delayed', 'prioritized', 'waiting-children'])
    await Promise.all(jobs.filter((j) => j.parent?.id === parentId).map((j) => j.remove().catch(() => undefined)))
    await b.fromId(b.summaries, parentId).then((p) => p?.remove({ removeChildren: true })).catch(() => undefined)
  }

  /**
   * Puts a planned run on the queue: its snapshot, then one flow (the
   * summary over one job per unfinished fold), and waits for the summary.
   */
  async function queueRun(r: {
    runId: number
    task: 'crossval' | 'train'
    k: number
    stepsOf(fold: number): number
    cells: { imageId: number; labelId: number | null; fold: number | null; role: string }[]
    job(fold: number): Pick<TrainingJobData, 'kind' | 'fold' | 'spec' | 'settings'>
    hooks: RemoteRunHooks
  }): Promise<CrossvalReport | TrainRunReport> {
    const { loadStoreCells } = await import('../ml/data/stored-cells')
    const o = r.hooks
    const run = getRun(db, r.runId)!
    claimRun(db, run.id)
    const startedAt = Date.now()
    const cells = await loadStoreCells(db, r.cells.map((c) => ({ imageId: c.imageId, labelId: c.labelId, class: null })), { size: run.inputSize, classes: run.classes, shared: false, signal: o.signal, onProgress: o.onProgress })
    const labels = runLabels(run.id, run.classes)
    const header: SnapshotHeader = {
      format: 'wbc-run-snapshot/1',
      inputSize: run.inputSize,
      classes: [...run.classes],
      cells: r.cells.map((c, i) => ({ imageId: c.imageId, labelId: c.labelId, label: labels[i]!, fold: c.fold, role: c.role }))
    }
    if (header.cells.some((c) => c.label < 0)) throw new Error("a cell of this run has a class outside the run's classes")
    const bytes = encodeSnapshot(header, cells.pixels)
    const sha256 = await storeSnapshot(snapshotDir, bytes)
    const todo = runFolds(db, run.id).filter((f) => f.status !== 'done').map((f) => f.fold)
    const threads = typeof run.hyperparameters.workers === 'number' ? run.hyperparameters.workers : 2
    const validateEachEpoch = run.hyperparameters.validateEachEpoch !== false
    const done = new Set(runFolds(db, run.id).filter((f) => f.status === 'done').map((f) => f.fold))
    const result = new Promise<CrossvalReport | TrainRunReport>((resolve, reject) => {
      const w: Waiting = { resolve, reject, onProgress: o.onProgress, stepsOf: r.stepsOf, k: r.k, task: r.task, live: new Map(), done, startedAt, trainedAtStart: 0 }
      w.trainedAtStart = [...done].reduce((a, f) => a + r.stepsOf(f), 0)
      waiting.set(run.id, w)
    })
    // A fresh id per queueing: a run resumed after a cancel gets new jobs, not the old ones' ids.
    const parentId = `run-${run.id}-${Date.now().toString(36)}`
    const b = await bull
    await b.flow.add({
      name: 'summary',
      queueName: SUMMARY_QUEUE,
      data: { runId: run.id, startedAt },
      opts: { jobId: parentId, removeOnComplete: 1000, removeOnFail: 1000 },
      children: todo.map((fold) => ({
        name: r.task === 'train' ? 'train' : 'fold',
        queueName: TRAINING_QUEUE,
        data: { ...r.job(fold), runId: run.id, snapshot: { sha256, bytes: bytes.byteLength }, threads, validateEachEpoch } satisfies TrainingJobData,
        opts: { jobId: `${parentId}-fold-${fold}`, attempts, backoff: { type: 'fixed', delay: 2000 }, failParentOnFailure: true, removeOnComplete: 1000, removeOnFail: 1000 }
      }))
    })
    const w = waiting.get(run.id)
    if (w) emit(run.id, w, r.task === 'train' ? 'queued for a worker machine' : `${todo.length} fold${todo.length === 1 ? '' : 's'} queued for the worker machines`)
    // A parent that failed (a fold out of tries without a worker saying so, e.g. stalled too often) ends the wait.
    const watch = setInterval(() => {
      void b.fromId(b.summaries, parentId)
        .then((p) => p?.getState())
        .then((state) => {
          if (state === 'failed') listener.runFailed(run.id, `run ${run.id}: a fold job failed on every try`)
        })
        .catch(() => undefined)
    }, 5_000)
    watch.unref()
    const onAbort = (): void => {
      const w2 = waiting.get(run.id)
      waiting.delete(run.id)
      if (getRun(db, run.id)?.status === 'running') finishRun(db, run.id, 'cancelled')
      endRunAttempts(db, run.id, 'cancelled')
      void removeWaitingFolds(parentId)
      w2?.reject(Object.assign(new Error('cancelled'), { name: 'AbortError' }))
    }
    o.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await result
    } catch (err) {
      if (getRun(db, run.id)?.status === 'running') finishRun(db, run.id, 'failed', { error: (err as Error).message })
      throw err
    } finally {
      clearInterval(watch)
      o.signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Each run cell's class index in the run's class order (-1: outside it), in run_images order. */
  function runLabels(runId: number, classes: readonly string[]): number[] {
    const index = new Map(classes.map((c, i) => [c, i]))
    return runImagesOf(db, runId).map((im) => index.get(im.class ?? '') ?? -1)
  }

  return {
    hello: () => ({ redisUrl: settings.workerRedisUrl ?? settings.redisUrl, prefix, trainingQueue: TRAINING_QUEUE, lockMs, stalledMs }),
    listener,
    async crossval(o) {
      if (o.init) throw new Error('fine-tuning on worker machines is not built yet: run it locally')
      const { planRun } = await import('../ml/train/cross-validation')
      const { plan } = planRun(db, o)
      const run = plan.run
      o.onRun?.(run.id)
      if (run.status === 'done' && run.metrics) return run.metrics as CrossvalReport
      const B = plan.settings.batchSize
      const stepsOf = (f: number) => Math.ceil(plan.folds.filter((x) => x !== f).length / B) * plan.settings.epochs
      return (await queueRun({
        runId: run.id,
        task: 'crossval',
        k: plan.k,
        stepsOf,
        cells: plan.cells.map((c, i) => ({ imageId: c.imageId, labelId: c.labelId ?? null, fold: plan.folds[i], role: 'crossval' })),
        job: (fold) => ({ kind: 'crossval-fold', fold, spec: { ...plan.spec, seed: run.seed * 1000 + fold }, settings: { ...plan.settings, seed: run.seed * 1000 + fold } }),
        hooks: o
      })) as CrossvalReport
    },
    async train(o) {
      const { planTrainRun } = await import('../ml/train/training-run')
      const { runImages } = await import('../store/runs')
      const plan = planTrainRun(db, o)
      const run = plan.run
      o.onRun?.(run.id)
      if (run.status === 'done' && run.metrics) return run.metrics as TrainRunReport
      const images = runImages(db, run.id)
      const steps = Math.ceil(images.filter((im) => im.role !== 'validation').length / plan.settings.batchSize) * plan.settings.epochs
      const report = (await queueRun({
        runId: run.id,
        task: 'train',
        k: 1,
        stepsOf: () => steps,
        cells: images.map((im) => ({ imageId: im.imageId, labelId: im.labelId, fold: null, role: im.role })),
        job: () => ({
          kind: 'train',
          fold: 0,
          spec: { architecture: plan.architecture, inputSize: plan.inputSize, numClasses: plan.classes.length, seed: plan.seed },
          settings: { ...plan.settings, seed: plan.seed }
        }),
        hooks: o
      })) as TrainRunReport
      if (o.setDefault && report.modelId !== null) setDefaultModel(db, report.modelId)
      return report
    },
    async close() {
      for (const w of waiting.values()) w.reject(new Error('the server is closing'))
      waiting.clear()
      const b = await bull.catch(() => undefined)
      if (b) {
        await b.summaryWorker.close()
        await Promise.all([b.flow.close(), b.summaries.close(), b.training.close()])
      }
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)))
    }
  }
}
