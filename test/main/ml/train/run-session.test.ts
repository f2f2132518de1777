// A run's life around its training (ml/train/run-session.ts) on a real
// SQLite store and a real checkpoint folder: a one-fold run created with its
// cells, claimed, a fold started, an epoch recorded with its checkpoint, the
// fold finished, and the run ended done, cancelled or failed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  getRun, getRunCheckpoint, insertImage, openStore, runEpochs, runFolds, runImages, startImportBatch, type Db
} from '../../../../src/main/store/index'
import { CancelledError } from '../../../../src/main/errors'
import { claimRunSession, createOneFoldRun } from '../../../../src/main/ml/train/run-session'
import type { RunRow } from '../../../../src/main/store/runs'

let db: Db
let dir: string
beforeEach(() => {
  db = openStore(':memory:')
  dir = mkdtempSync(join(tmpdir(), 'wbc-run-session-'))
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

function oneFoldRun(): RunRow {
  const batch = startImportBatch(db, { sourcePath: '/exports/day1', datasetId: null })
  const ids = ['aa', 'bb', 'cc'].map((sha) =>
    insertImage(db, { sha256: sha, format: 'jpeg', width: 4, height: 4, bytes: Buffer.from(sha), fileName: `${sha}.jpg`, sourcePath: `/x/${sha}.jpg`, slideId: null, importBatchId: batch }).id
  )
  return createOneFoldRun(
    db,
    { kind: 'train', name: 'r', architecture: 'wnet', inputSize: 16, classes: ['neutrophil', 'basophil'], hyperparameters: { configKey: 'k' }, seed: 1 },
    ids.map((imageId, i) => ({ imageId, labelId: null, class: i ? 'basophil' : 'neutrophil', fold: null, role: i === 2 ? 'validation' : 'train' }))
  )
}

const epoch = { epoch: 1, trainLoss: 0.5, trainAccuracy: 0.75, learningRate: 1e-3, seconds: 1, imagesPerSecond: 2 }

describe('run session', () => {
  it('creates a one-fold run with its cells, claims it, and records a fold through to done', async () => {
    const run = oneFoldRun()
    expect(runImages(db, run.id).map((c) => c.role)).toEqual(['train', 'train', 'validation'])
    expect(runFolds(db, run.id).map((f) => [f.fold, f.status])).toEqual([[0, 'pending']])

    const heard: [number, boolean][] = []
    const session = claimRunSession(db, run, true, (id, resumed) => heard.push([id, resumed]))
    expect(heard).toEqual([[run.id, true]])
    expect(getRun(db, run.id)).toMatchObject({ status: 'running', pid: process.pid })

    const foldDir = join(dir, 'fold-0')
    const fold = await session.startFold(0, foldDir)
    expect(fold.resumedFrom).toBe(0)
    expect(runFolds(db, run.id)[0].status).toBe('running')
    // The trainer has written its checkpoint folder when it reports an epoch.
    mkdirSync(foldDir, { recursive: true })
    writeFileSync(join(foldDir, 'state.json'), '{}')
    await fold.onEpoch(epoch)
    expect(runEpochs(db, run.id, 0).map((e) => [e.epoch, e.trainAccuracy])).toEqual([[1, 0.75]])
    expect(runFolds(db, run.id)[0].epochsDone).toBe(1)
    expect(getRunCheckpoint(db, run.id, 0)?.epoch).toBe(1)

    await session.finishFold(0, foldDir, { modelId: null, metrics: { validation: null } })
    expect(runFolds(db, run.id)[0]).toMatchObject({ status: 'done', metrics: { validation: null } })
    expect(getRunCheckpoint(db, run.id, 0)).toBeUndefined()
    expect(existsSync(foldDir)).toBe(false)

    const report = session.done({ accuracy: 0.9, seconds: -1 }, (r) => ({ ...r, headline: 'stored' }))
    const row = getRun(db, run.id)!
    expect(row.status).toBe('done')
    expect(report.seconds).toBe(row.seconds)
    expect(report.seconds).toBeGreaterThanOrEqual(0)
    expect(row.metrics).toEqual({ accuracy: 0.9, seconds: row.seconds, headline: 'stored' })
  })

  it('leaves a cancelled run cancelled and answers with the run as it stands', () => {
    const run = oneFoldRun()
    const session = claimRunSession(db, run, false)
    const answer = session.ended(new CancelledError(), (r) => ({ status: r.status, seconds: r.seconds }))
    expect(answer.status).toBe('cancelled')
    expect(getRun(db, run.id)).toMatchObject({ status: 'cancelled', error: null })
  })

  it('leaves a failed run failed with its error and throws it again', () => {
    const run = oneFoldRun()
    const session = claimRunSession(db, run, false)
    expect(() => session.ended(new Error('out of cells'), () => 'not this')).toThrow('out of cells')
    expect(getRun(db, run.id)).toMatchObject({ status: 'failed', error: 'out of cells' })
  })
})
