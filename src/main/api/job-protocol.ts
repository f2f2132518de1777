// The messages between the job runner and its worker threads. A job's
// parameters are its start method's validated input (the contract's parsed
// type), plus what the handler resolved, so the two can't drift apart.
import type { ApiError, JobKind, JobResults, ParsedInput, TrainingRequestInput } from '../../shared/api'
import type { Progress } from '../../shared/progress'
import type { BlindRecipe } from '../blind/session'

/** The input size resolved (the architecture's default when the request named none). */
type SizeResolved<T extends { inputSize?: number }> = Omit<T, 'inputSize'> & { inputSize: number }

/** What each kind of job is started with. Add a row per kind. */
export interface JobParams {
  import: { path: string; dataset?: string | null; keepUnknownClasses: boolean; confineTo?: readonly string[] | null }
  classify: { slideId: number; modelId?: number }
  train: SizeResolved<ParsedInput<'train.start'>>
  crossval: SizeResolved<ParsedInput<'crossval.start'>>
  calibrate: ParsedInput<'models.calibrate'>
  transfer: ParsedInput<'transfer.start'>
  /** The generator's name resolved (<class>-<preset> when the request named none). */
  gan: Omit<ParsedInput<'gan.start'>, 'name'> & { name: string }
  generate: ParsedInput<'synthetic.generate'>
  quality: ParsedInput<'synthetic.runReport'>
  blind: BlindRecipe
  adapt: ParsedInput<'adapt.start'>
}

/** What training and cross-validation jobs share (the contract's validated request, input size resolved). */
export type TrainingParams = SizeResolved<TrainingRequestInput>

/** A one-job worker: runs `kind` with `params`, then ends. */
export interface WorkerData<K extends JobKind = JobKind> {
  kind: K
  params: JobParams[K]
  dbPath: string
  nativeBinding?: string
  resident?: undefined
}

/**
 * The resident worker (the warm inference service): one thread that stays up
 * between jobs of the resident kinds (classify), so the inference pool it owns
 * and the model it loaded outlive each job. Jobs come as ResidentRequests.
 */
export interface ResidentWorkerData {
  resident: true
  dbPath: string
  nativeBinding?: string
}

export type ResidentRequest =
  | { type: 'run'; jobId: string; kind: JobKind; params: JobParams[JobKind] }
  | { type: 'cancel'; jobId: string }
  /** Load the store's default model now (it changed), freeing the one held. */
  | { type: 'warm' }
  /** Free the pool and the models, then end (idle, or the workstation closes). */
  | { type: 'close' }

/**
 * A job's message from the resident worker names the job; `holding` says
 * which model the service keeps loaded after a job or a warm-up (null: a
 * warm-up found no default model, or failed).
 */
export type ResidentMessage = (WorkerMessage & { jobId: string }) | { type: 'holding'; modelId: number | null; warmed: boolean; jobId?: undefined }

export type WorkerMessage =
  | { type: 'progress'; progress: Progress }
  /** `cancelled`: the task stopped early on request and this is its partial result. */
  | { type: 'done'; result: JobResults[JobKind]; cancelled?: boolean }
  | { type: 'failed'; error: ApiError }
  /** The TensorFlow.js backend an ML task ran on (sent before done/failed). */
  | { type: 'backend'; name: string }

export type ParentMessage = { type: 'cancel' }

/** What a task running inside the worker gets from it. */
export interface TaskContext {
  dbPath: string
  nativeBinding?: string
  signal: AbortSignal
  onProgress: (progress: Progress) => void
}
