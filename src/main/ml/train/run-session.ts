// A training run's life in this process, the steps every run that trains
// takes around its training (a training run, a site adaptation, a
// cross-validation or fine-tuning): created with its cells (one-fold runs),
// claimed for this process, its clock kept, each fold's checkpoint brought up
// to date and every epoch recorded, and the run ended as done, cancelled or
// failed, its time accounted at every end so a killed run keeps what it spent.
// What a run trains and reports stays its own module's business.
import type { Db } from '../../store/db'
import {
  addRunImages,
  claimRun,
  createRun,
  ensureRunFolds,
  finishRun,
  finishRunFold,
  getRun,
  setFoldProgress,
  startRunFold,
  type NewRun,
  type RunImage,
  type RunRow
} from '../../store/runs'
import { CancelledError } from '../../errors'
import { dropFoldCheckpoint, prepareFoldCheckpoint, recordFoldEpoch, runClock } from './run-resume'
import type { EpochRecord } from './trainer'

/** Creates a run of one fold (a training run, a site adaptation) with its cells, in one transaction. */
export function createOneFoldRun(db: Db, run: NewRun, cells: readonly RunImage[]): RunRow {
  const id = db.transaction(() => {
    const id = createRun(db, run)
    addRunImages(db, id, cells)
    ensureRunFolds(db, id, 1)
    return id
  })()
  return getRun(db, id)!
}

/** One fold started: the epoch it resumes from, and the trainer's onEpoch for it. */
export interface StartedFold {
  resumedFrom: number
  /** Records the epoch and its checkpoint, the fold's progress and seconds, and the run's clock. */
  onEpoch: (e: EpochRecord) => Promise<void>
}

export interface RunSession {
  runId: number
  /** Adds the wall time since the last call to the run's seconds (after each fold; the ends call it too). */
  account: () => void
  /** Brings fold f's checkpoint folder up to date and marks the fold started. */
  startFold(fold: number, dir: string): Promise<StartedFold>
  /** Fold f trained and stored (its model, its metrics); its checkpoint is dropped. */
  finishFold(fold: number, dir: string, result: { modelId: number | null; metrics: unknown }): Promise<void>
  /**
   * The run done: its time accounted and written into the report's seconds,
   * then the run finished with the report as its metrics (or what `stored`
   * makes of it).
   */
  done<T extends { seconds: number }>(report: T, stored?: (report: T) => unknown): T
  /**
   * The run ended by an error: a cancel leaves it cancelled (resumable) and
   * answers `cancelled(run)` with the run as it stands; any other error
   * leaves it failed and is thrown again.
   */
  ended<T>(err: unknown, cancelled: (run: RunRow) => T): T
}

/** Claims the run for this process (onRun hears of it) and starts its clock. */
export function claimRunSession(db: Db, run: RunRow, resumed: boolean, onRun?: (runId: number, resumed: boolean) => void): RunSession {
  const runId = run.id
  claimRun(db, runId)
  onRun?.(runId, resumed)
  const account = runClock(db, runId)
  return {
    runId,
    account,
    async startFold(fold, dir) {
      const resumedFrom = await prepareFoldCheckpoint(db, runId, fold, dir)
      startRunFold(db, runId, fold)
      let lastEpochAt = Date.now()
      return {
        resumedFrom,
        onEpoch: async (e) => {
          await recordFoldEpoch(db, runId, fold, dir, e)
          const now = Date.now()
          setFoldProgress(db, runId, fold, e.epoch, (now - lastEpochAt) / 1000)
          lastEpochAt = now
          account()
        }
      }
    },
    async finishFold(fold, dir, result) {
      finishRunFold(db, runId, fold, result)
      await dropFoldCheckpoint(db, runId, fold, dir)
    },
    done(report, stored) {
      account()
      report.seconds = getRun(db, runId)!.seconds
      finishRun(db, runId, 'done', { metrics: stored ? stored(report) : report })
      return report
    },
    ended(err, cancelled) {
      account()
      if (err instanceof CancelledError) {
        finishRun(db, runId, 'cancelled')
        return cancelled(getRun(db, runId)!)
      }
      finishRun(db, runId, 'failed', { error: err instanceof Error ? err.message : String(err) })
      throw err
    }
  }
}
