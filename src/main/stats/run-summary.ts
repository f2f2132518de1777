// One line's worth of a run, the same for `wbc runs` and the contract's
// runs.list. Store and stats only: the core lists runs without loading
// TensorFlow.js.
import type { Db } from '../store/db'
import type { RunListItem } from '../../shared/models'
import { runEpochs, runFolds, type RunRow } from '../store/runs'
import { headlineMetrics } from './headline'

/** The contract's run list row (src/shared/models RunListItem) without the dataset's name, with the seed. */
export type RunSummary = Omit<RunListItem, 'datasetName'> & { seed: number }

/** One line's worth of a run, for `wbc runs` and the UI. */
export function summarizeRun(db: Db, r: RunRow): RunSummary {
  const folds = runFolds(db, r.id)
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    status: r.status,
    architecture: r.architecture,
    inputSize: r.inputSize,
    backend: r.backend,
    seed: r.seed,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    seconds: r.seconds,
    folds: { total: folds.length, done: folds.filter((f) => f.status === 'done').length },
    epochsRecorded: runEpochs(db, r.id).length,
    // The same headline the Models screen shows (crossval's pooled `overall`, a training run's held-out `validation` ...).
    ...headlineMetrics(r.metrics)
  }
}
