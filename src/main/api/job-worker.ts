// Entry of a job's worker thread: runs tasks of the core with their own
// database connection, reports progress to the runner, honours cancel.
//
// Two modes. A one-job worker (most kinds) runs the job in workerData and
// ends. The resident worker (workerData.resident; see jobs.ts) is the warm
// inference service: it stays up between classify jobs, so the inference
// pool it owns (ml/infer-pool) and the model it loaded serve the next slide
// without starting threads or loading anything; it keeps only the model the
// latest job used (or the new default, when told to warm up), and frees
// everything when the runner tells it to close.
import { parentPort, workerData } from 'node:worker_threads'
import type { JobKind, JobResults } from '../../shared/api'
import { toApiError } from './errors'
import type { JobParams, ParentMessage, ResidentMessage, ResidentRequest, ResidentWorkerData, TaskContext, WorkerData, WorkerMessage } from './job-protocol'
import { runClassifyTask } from './tasks/classify'
import { runImportTask } from './tasks/import'
import { runTrainTask } from './tasks/train'
import { runCrossvalTask } from './tasks/crossval'
import { runTransferTask } from './tasks/transfer'
import { runCalibrateTask } from './tasks/calibrate'
import { runAdaptTask } from './tasks/adapt'
import { runGanTask, runGenerateTask, runQualityTask } from './tasks/gan'
import { runBlindTask } from './tasks/blind'

/** A task returns its result, and whether it stopped early because it was cancelled. */
/** `engine`: what ran the model when it was not this thread's TensorFlow.js backend (the inference pool's ONNX Runtime). */
export type TaskOutcome<K extends JobKind> = { result: JobResults[K]; cancelled: boolean; engine?: string }
type Tasks = { [K in JobKind]: (params: JobParams[K], ctx: TaskContext) => Promise<TaskOutcome<K>> }
/** Kinds whose task loads TensorFlow.js; the others never pay for loading it. */
const ML_KINDS: ReadonlySet<JobKind> = new Set(['classify', 'train', 'crossval', 'transfer', 'calibrate', 'gan', 'generate', 'quality', 'adapt'])
const TASKS: Tasks = { import: runImportTask, classify: runClassifyTask, train: runTrainTask, crossval: runCrossvalTask, transfer: runTransferTask, calibrate: runCalibrateTask, gan: runGanTask, generate: runGenerateTask, quality: runQualityTask, blind: runBlindTask, adapt: runAdaptTask }

const port = parentPort
if (!port) throw new Error('job-worker must run in a worker thread')
const data = workerData as WorkerData | ResidentWorkerData

/** Which backend the ML core chose, so the workstation can show it; sent before the job's end. */
async function reportBackend(kind: JobKind, post: (msg: WorkerMessage) => void, engine?: string): Promise<void> {
  if (!ML_KINDS.has(kind)) return
  if (engine) return post({ type: 'backend', name: engine })
  try {
    // The task already loaded TensorFlow.js: this import is cached.
    const { activeBackend } = await import('../ml/model/tfjs-backend')
    const name = activeBackend()?.name
    if (name) post({ type: 'backend', name })
  } catch {
    // The backend is only reported; a task's outcome never depends on it.
  }
}

/** Runs one job to its end message (done or failed); never throws. */
async function runJob(kind: JobKind, params: unknown, signal: AbortSignal, post: (msg: WorkerMessage) => void): Promise<TaskOutcome<JobKind> | undefined> {
  try {
    const task = TASKS[kind] as (params: unknown, ctx: TaskContext) => Promise<TaskOutcome<JobKind>>
    const outcome = await task(params, {
      dbPath: data.dbPath,
      nativeBinding: data.nativeBinding,
      signal,
      onProgress: (progress) => post({ type: 'progress', progress })
    })
    await reportBackend(kind, post, outcome.engine)
    post({ type: 'done', result: outcome.result, cancelled: outcome.cancelled })
    return outcome
  } catch (err) {
    await reportBackend(kind, post)
    post({ type: 'failed', error: signal.aborted ? { code: 'cancelled', message: 'cancelled' } : toApiError(err) })
    return undefined
  }
}

if (data.resident) {
  const running = new Map<string, AbortController>()
  port.on('message', (msg: ResidentRequest) => {
    if (msg.type === 'run') {
      const controller = new AbortController()
      running.set(msg.jobId, controller)
      void runJob(msg.kind, msg.params, controller.signal, (m) => port.postMessage({ ...m, jobId: msg.jobId })).then(async (outcome) => {
        running.delete(msg.jobId)
        // Keep only the model this job used (a new default replaces the old one in memory), once no other job needs another.
        if (outcome && msg.kind === 'classify' && running.size === 0) {
          const modelId = (outcome.result as JobResults['classify']).model.id
          const { retainInferenceModel } = await import('../services/inference')
          await retainInferenceModel(modelId)
          port.postMessage({ type: 'holding', modelId, warmed: false } satisfies ResidentMessage)
        }
      })
    } else if (msg.type === 'cancel') {
      running.get(msg.jobId)?.abort()
    } else if (msg.type === 'warm') {
      // Not while a job runs: it may need the model the warm-up would free (the next job loads the default anyway).
      const warm = running.size ? Promise.resolve(undefined) : import('../services/inference').then((m) => m.warmDefaultModel(data.dbPath, data.nativeBinding))
      void warm
        .catch((err: unknown) => {
          console.error('the inference service could not load the new default model:', err)
          return undefined
        })
        .then((modelId) => port.postMessage({ type: 'holding', modelId: modelId ?? null, warmed: true } satisfies ResidentMessage))
    } else if (msg.type === 'close') {
      void import('../services/inference').then((m) => m.closeInference()).finally(() => port.close())
    }
  })
} else {
  const controller = new AbortController()
  port.on('message', (msg: ParentMessage) => {
    if (msg.type === 'cancel') controller.abort()
  })
  try {
    await runJob(data.kind, data.params, controller.signal, (m) => port.postMessage(m))
  } finally {
    port.close()
  }
}
