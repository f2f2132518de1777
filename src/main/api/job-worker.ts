// Entry of a job's worker thread: runs one task of the core with its own
// database connection, reports progress to the runner, honours cancel.
import { parentPort, workerData } from 'node:worker_threads'
import type { JobKind, JobResults } from '../../shared/api'
import { toApiError } from './errors'
import type { JobParams, ParentMessage, TaskContext, WorkerData, WorkerMessage } from './job-protocol'
import { runClassifyTask } from './tasks/classify'
import { runImportTask } from './tasks/import'
import { runTrainTask } from './tasks/train'
import { runCrossvalTask } from './tasks/crossval'
import { runTransferTask } from './tasks/transfer'
import { runCalibrateTask } from './tasks/calibrate'
import { runGanTask, runGenerateTask } from './tasks/gan'

/** A task returns its result, and whether it stopped early because it was cancelled. */
/** `engine`: what ran the model when it was not this thread's TensorFlow.js backend (the inference pool's ONNX Runtime). */
export type TaskOutcome<K extends JobKind> = { result: JobResults[K]; cancelled: boolean; engine?: string }
type Tasks = { [K in JobKind]: (params: JobParams[K], ctx: TaskContext) => Promise<TaskOutcome<K>> }
/** Kinds whose task loads TensorFlow.js; the others never pay for loading it. */
const ML_KINDS: ReadonlySet<JobKind> = new Set(['classify', 'train', 'crossval', 'transfer', 'calibrate', 'gan', 'generate'])
const TASKS: Tasks = { import: runImportTask, classify: runClassifyTask, train: runTrainTask, crossval: runCrossvalTask, transfer: runTransferTask, calibrate: runCalibrateTask, gan: runGanTask, generate: runGenerateTask }

const port = parentPort
if (!port) throw new Error('job-worker must run in a worker thread')
const data = workerData as WorkerData
const controller = new AbortController()
const post = (msg: WorkerMessage): void => port.postMessage(msg)
port.on('message', (msg: ParentMessage) => {
  if (msg.type === 'cancel') controller.abort()
})

/** Tells the runner which backend the ML core chose, so the workstation can show it; sent before the job's end. */
async function reportBackend(engine?: string): Promise<void> {
  if (!ML_KINDS.has(data.kind)) return
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

try {
  const task = TASKS[data.kind] as (params: unknown, ctx: TaskContext) => Promise<TaskOutcome<JobKind>>
  const outcome = await task(data.params, {
    dbPath: data.dbPath,
    nativeBinding: data.nativeBinding,
    signal: controller.signal,
    onProgress: (progress) => post({ type: 'progress', progress })
  })
  await reportBackend(outcome.engine)
  post({ type: 'done', result: outcome.result, cancelled: outcome.cancelled })
} catch (err) {
  await reportBackend()
  post({ type: 'failed', error: controller.signal.aborted ? { code: 'cancelled', message: 'cancelled' } : toApiError(err) })
} finally {
  port.close()
}
