// Options the training commands (train, crossval, finetune) share, parsed
// once into the core's settings, and the SIGINT-to-AbortSignal wiring every
// long ML command uses.
import type { Command } from 'commander'
import type { Progress } from '../shared/progress'
import type { ProgressRenderer } from './progress'
import type { CliContext } from './context'
import type { Db } from '../main/store/db'
import type { TrainSettings, LrSchedule, Balance } from '../main/ml/train/trainer'
import { initBackend, type BackendPreference } from '../main/ml/model/tfjs-backend'
import { isArchitecture, type Architecture } from '../main/ml/model/architectures/index'
import { DROPOUT_OFF_LR_FACTOR, LR_SCHEDULES, MODEL_ARCHITECTURES, TRAINING_BALANCES } from '../shared/models'

export interface TrainingFlags {
  arch?: string
  size?: number
  seed?: number
  epochs?: number
  batch?: number
  lr?: number
  schedule?: string
  balance?: string
  augment?: boolean
  dropoutOffEpochs?: number
  dropoutOffLrFactor?: number
  workers?: number
  backend?: string
  fresh?: boolean
  json?: boolean
}

const int = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${v}`)
  return n
}
const num = (v: string) => {
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`)
  return n
}

const BACKENDS = ['auto', 'wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'] as const

export function addTrainingOptions(cmd: Command): Command {
  return cmd
    .option('--arch <name>', `architecture: ${MODEL_ARCHITECTURES.join(', ')}`, 'wnet')
    .option('--size <px>', 'input size in pixels (default: the architecture\'s, 128 for W-Net)', int)
    .option('--seed <n>', 'seed of folds, initialisation and batches', int, 1)
    .option('--epochs <n>', 'epochs per model', int, 10)
    .option('--batch <n>', 'batch size (paper: 5)', int, 5)
    .option('--lr <rate>', 'Adam learning rate (paper: 1e-4)', num, 1e-4)
    .option('--schedule <kind>', 'learning-rate schedule: constant or cosine', 'constant')
    .option('--balance <how>', 'class balance: none, sampler (each cell from a uniformly drawn class) or weights', 'none')
    .option('--augment', 'random flips and 90-degree rotations')
    .option('--dropout-off-epochs <n>', 'train the last N of --epochs with dropout off, so the network classifies as well without it (inference) as it trained with it; docs/ml.md', int, 0)
    .option('--dropout-off-lr-factor <x>', 'learning rate of the dropout-off epochs, as a factor of --lr (constant)', num, DROPOUT_OFF_LR_FACTOR)
    .option('--workers <n>', 'training worker threads (one per core)', int, 2)
    .option('--backend <name>', BACKENDS.join(', '), 'auto')
    .option('--fresh', 'start a new run even if an unfinished one with the same settings exists (default: resume it)')
    .option('--json', 'print the report as JSON')
}

export function architectureOf(f: TrainingFlags): Architecture {
  const a = f.arch ?? 'wnet'
  if (!isArchitecture(a)) throw new Error(`unknown architecture ${a}`)
  return a
}

export function settingsOf(f: TrainingFlags): Partial<Omit<TrainSettings, 'seed'>> {
  const schedule: LrSchedule = f.schedule === 'cosine' ? { kind: 'cosine' } : { kind: 'constant' }
  if (f.schedule && !(LR_SCHEDULES as readonly string[]).includes(f.schedule)) throw new Error(`unknown schedule ${f.schedule} (${LR_SCHEDULES.join(', ')})`)
  const balance = (f.balance ?? 'none') as Balance
  if (!(TRAINING_BALANCES as readonly string[]).includes(balance)) throw new Error(`unknown balance ${f.balance} (${TRAINING_BALANCES.join(', ')})`)
  const off = f.dropoutOffEpochs ?? 0
  if (off < 0 || (f.epochs !== undefined && off > f.epochs)) throw new Error(`--dropout-off-epochs must be between 0 and --epochs (${f.epochs})`)
  if (off > 0 && !((f.dropoutOffLrFactor ?? DROPOUT_OFF_LR_FACTOR) > 0)) throw new Error('--dropout-off-lr-factor must be above 0')
  return {
    epochs: f.epochs, batchSize: f.batch, learningRate: f.lr, schedule, balance, augment: Boolean(f.augment),
    ...(off > 0 ? { dropoutOff: { epochs: off, lrFactor: f.dropoutOffLrFactor ?? DROPOUT_OFF_LR_FACTOR } } : {})
  }
}

export function backendOf(f: TrainingFlags): BackendPreference {
  const b = f.backend ?? 'auto'
  if (!(BACKENDS as readonly string[]).includes(b)) throw new Error(`unknown backend ${b}`)
  return b as BackendPreference
}

/** What a training command's core call gets from `runTraining`. */
export interface TrainingSession {
  db: Db
  signal: AbortSignal
  /** The per-task bar, or undefined with --json. */
  bar: ProgressRenderer | undefined
  /** Prints `run N` / `resuming run N` on stderr (not with --json). */
  announceRun: (id: number, resumed: boolean) => void
}

/**
 * The frame every training command (train, crossval, finetune) puts around
 * its core call: the store, the chosen backend (named on stderr unless
 * --json), a bar per task unless --json, and Ctrl-C as cancel.
 */
export async function runTraining<T>(cli: CliContext, f: TrainingFlags, work: (session: TrainingSession) => Promise<T>): Promise<T> {
  const db = cli.openDb()
  const bar = perTaskBar(f.json ? undefined : cli.progress())
  const backend = await initBackend(backendOf(f))
  if (!f.json) cli.err(`backend: ${backend.name}${backend.simd ? ' (SIMD)' : ''}`)
  const announceRun = (id: number, resumed: boolean) => {
    if (!f.json) cli.err(resumed ? `resuming run ${id}` : `run ${id}`)
  }
  return withInterrupt((signal) => work({ db, signal, bar, announceRun })).finally(() => bar?.stop())
}

/** An AbortSignal fired by Ctrl-C (SIGINT) or SIGTERM while `work` runs. */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController()
  const stop = () => abort.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    return await work(abort.signal)
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
  }
}

export function parseIds(v: string): number[] {
  return v.split(',').map((s) => int(s.trim()))
}

/** A renderer that starts a new bar when the task changes (loading cells, then training ...). */
export function perTaskBar(bar: ProgressRenderer | undefined): ProgressRenderer | undefined {
  if (!bar) return undefined
  let task: string | undefined
  return {
    update(p: Progress) {
      if (task !== undefined && p.task !== task) bar.stop()
      task = p.task
      bar.update(p)
    },
    stop: () => bar.stop()
  }
}
