// The one translation of training and cross-validation jobs that the local
// job worker and the lab queue (worker machines) both use
// (src/main/api/tasks/training-job.ts): the request as the core's options,
// the core's report as the job's result.
import { describe, expect, it } from 'vitest'
import { crossvalRequestOf, trainingJobResultOf, trainRequestOf } from '../../../src/main/api/tasks/training-job'
import { reportFromConfusion } from '../../../src/main/stats/metrics'
import type { JobParams } from '../../../src/main/api/job-protocol'
import type { CrossvalReport } from '../../../src/main/ml/train/cross-validation'
import type { TrainRunReport } from '../../../src/main/ml/train/training-run'

const REQUEST = {
  dataset: 'site-a',
  architecture: 'wnet' as const,
  inputSize: 32,
  epochs: 4,
  batchSize: 5,
  learningRate: 1e-3,
  dropoutOffEpochs: 1,
  schedule: 'cosine' as const,
  balance: 'sampler' as const,
  augment: true,
  seed: 7
}
const SETTINGS = { epochs: 4, batchSize: 5, learningRate: 1e-3, schedule: { kind: 'cosine' }, balance: 'sampler', augment: true, dropoutOff: { epochs: 1, lrFactor: 0.2 } }

// 3 of 4 right: accuracy 0.75.
const REPORT = reportFromConfusion([[2, 0], [1, 1]], ['neutrophil', 'basophil'])

describe('training job translation', () => {
  it('turns a training request into the core options, the name only when given', () => {
    const params: JobParams['train'] = { ...REQUEST, validationShare: 0.2, setDefault: true }
    expect(trainRequestOf(params)).toEqual({ dataset: 'site-a', architecture: 'wnet', inputSize: 32, seed: 7, settings: SETTINGS, validationShare: 0.2, setDefault: true })
    expect(trainRequestOf({ ...params, name: 'night run' }).name).toBe('night run')
  })

  it('turns a cross-validation request into the core options (folds as k)', () => {
    const params: JobParams['crossval'] = { ...REQUEST, folds: 3, name: 'cv' }
    expect(crossvalRequestOf(params)).toEqual({ dataset: 'site-a', architecture: 'wnet', inputSize: 32, k: 3, seed: 7, settings: SETTINGS, name: 'cv' })
  })

  it("gives a training run's held-out validation as the job's result, none when it was cancelled", () => {
    const done = { runId: 4, status: 'done', modelId: 9, validation: REPORT } as unknown as TrainRunReport
    expect(trainingJobResultOf(done)).toEqual({ result: { runId: 4, status: 'done', modelId: 9, accuracy: 0.75, macroF1: REPORT.macro.f1 }, cancelled: false })
    const cancelled = { runId: 4, status: 'cancelled', modelId: null, validation: null } as unknown as TrainRunReport
    expect(trainingJobResultOf(cancelled)).toEqual({ result: { runId: 4, status: 'cancelled', modelId: null, accuracy: null, macroF1: null }, cancelled: true })
  })

  it("gives a cross-validation's pooled report as the job's result, no accuracy when it is not a number", () => {
    const done = { runId: 5, status: 'done', overall: REPORT } as unknown as CrossvalReport
    expect(trainingJobResultOf(done)).toEqual({ result: { runId: 5, status: 'done', modelId: null, accuracy: 0.75, macroF1: REPORT.macro.f1 }, cancelled: false })
    const empty = { runId: 5, status: 'done', overall: { ...REPORT, accuracy: NaN } } as unknown as CrossvalReport
    expect(trainingJobResultOf(empty).result.accuracy).toBeNull()
    const cancelled = { runId: 5, status: 'cancelled', overall: REPORT } as unknown as CrossvalReport
    expect(trainingJobResultOf(cancelled)).toEqual({ result: { runId: 5, status: 'cancelled', modelId: null, accuracy: null, macroF1: null }, cancelled: true })
  })
})
