// The messages between the job runner and its worker threads.
import type { ApiError, JobKind, JobResults } from '../../shared/api'
import type { FineTuneModeName, GanPresetName, LrScheduleName, ModelArchitecture, TrainingBalance } from '../../shared/models'
import type { Progress } from '../../shared/progress'
import type { BlindRecipe } from '../blind/session'

/** What each kind of job is started with. Add a row per kind. */
export interface JobParams {
  import: { path: string; dataset?: string | null; keepUnknownClasses: boolean }
  classify: { slideId: number; modelId?: number }
  train: TrainingParams & { validationShare: number; setDefault: boolean }
  crossval: TrainingParams & { folds: number }
  calibrate: { id: number; other: string; fit?: string; wbc?: string; target: number; exposure: number }
  transfer: Omit<TrainingParams, 'architecture' | 'inputSize'> & { baseModelId: number; folds: number; modes: FineTuneModeName[]; fineTuneLearningRate?: number }
  gan: { class: string; preset: GanPresetName; steps: number; name: string; datasetId?: number; maxReal?: number; checkpointEvery: number }
  generate: { generatorId: number; count: number; seed: number }
  blind: BlindRecipe
  adapt: { dataset: string; baseModelId?: number; modelName?: string; setDefault: boolean; epochs?: number }
}

/** What training and cross-validation jobs share (the contract's validated request, input size resolved). */
export interface TrainingParams {
  dataset: string
  architecture: ModelArchitecture
  inputSize: number
  epochs: number
  batchSize: number
  learningRate: number
  dropoutOffEpochs: number
  schedule: LrScheduleName
  balance: TrainingBalance
  augment: boolean
  seed: number
  name?: string
}

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
