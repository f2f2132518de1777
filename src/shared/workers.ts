// Worker machines, as the contract sees them: worker credentials as an admin
// lists them, and the messages between a `wbc worker` and the lab server
// (docs/scale.md). Types and schemas only (no Node, no DOM).
import { z } from 'zod'

/** A worker credential as listed (never its secret). */
export interface WorkerCredentialSummary {
  id: number
  name: string
  createdBy: string
  createdAt: string
  revokedAt: string | null
  lastSeenAt: string | null
}

export const WorkerName = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash, underscore (up to 64)')

/** What a worker says about itself; kept with every attempt and in the fold's result. */
export const WorkerInfo = z.strictObject({
  host: z.string().max(200),
  node: z.string().max(40),
  wbc: z.string().max(40),
  tfjs: z.string().max(40),
  /** The TensorFlow.js backend it trained on (known once training started). */
  backend: z.string().max(80).optional(),
  /** Training threads it uses. */
  threads: z.number().int().min(0).max(256)
})
export type WorkerInfo = z.infer<typeof WorkerInfo>

/** How a worker reaches the queue: handed out by the server to worker credentials only (never to a browser). */
export interface WorkerHello {
  worker: { id: number; name: string }
  server: { version: string }
  /** null: the server has no queue (it trains locally); the worker then has nothing to do. */
  queue: {
    /** redis://[:password@]host:port[/db] or rediss:// as the server sees Redis; a worker's --redis replaces it. */
    redisUrl: string
    prefix: string
    trainingQueue: string
    /** BullMQ lock duration (renewed every half of it while a job runs) and stalled-job check interval. */
    lockMs: number
    stalledMs: number
  } | null
}

/** What a worker finds when it takes a fold (or a training run) from the queue. */
export type ClaimAnswer =
  | { state: 'train'; attemptId: number; resumeEpoch: number }
  /** Finished already (by an earlier attempt): complete the queue job without training. */
  | { state: 'done' }
  /** The run was cancelled or failed: drop the job. */
  | { state: 'cancelled' }

export interface HeartbeatAnswer {
  /** Stop training now: the run was cancelled, or this attempt was superseded. */
  stop: null | 'cancelled' | 'superseded'
}

/** The figures of one finished epoch, as the trainer records them. */
export const EpochFigures = z.strictObject({
  epoch: z.number().int().min(1),
  trainLoss: z.number(),
  trainAccuracy: z.number(),
  learningRate: z.number(),
  seconds: z.number(),
  imagesPerSecond: z.number(),
  validation: z.unknown().optional()
})

/** A queue job's data: coordination only (no pixels: those come from the server's snapshot by hash). */
export interface TrainingJobData {
  kind: 'crossval-fold' | 'train'
  runId: number
  fold: number
  snapshot: { sha256: string; bytes: number }
  spec: { architecture: string; inputSize: number; numClasses: number; seed: number }
  /** The trainer's settings (seed included), as the run stored them. */
  settings: Record<string, unknown>
  /** Training threads the run was planned with (the worker uses as many, so results match a local run). */
  threads: number
  validateEachEpoch: boolean
}
