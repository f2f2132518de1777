// Migration 2 from a version-1 database holding images, labels and a dataset:
// the rows survive, and models, runs, folds, epochs, checkpoints and
// predictions work through the repository functions.
import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import {
  addRunImages,
  claimRun,
  createFoldPlan,
  createRun,
  deleteRunCheckpoint,
  ensureRunFolds,
  finishRun,
  finishRunFold,
  foldAssignments,
  getRunCheckpoint,
  getDefaultModel,
  getFoldPlan,
  getModel,
  getModelArtifacts,
  getRun,
  insertModel,
  listPredictions,
  markInterruptedRuns,
  migrate,
  MIGRATIONS,
  putRunCheckpoint,
  putPredictions,
  recordEpoch,
  runEpochs,
  runFolds,
  runImages,
  schemaVersion,
  setDefaultModel
} from '../../../../src/main/store/index'

let db: Database.Database
afterEach(() => db?.close())

const at = '2024-01-01T00:00:00.000Z'

function versionOneWithRows(): Database.Database {
  const d = new Database(':memory:')
  d.pragma('foreign_keys = ON')
  expect(migrate(d, MIGRATIONS, 1)).toBe(1)
  d.prepare(`INSERT INTO datasets (name, created_at) VALUES ('pbc', ?)`).run(at)
  d.prepare(`INSERT INTO import_batches (source_path, dataset_id, status, started_at) VALUES ('/x', 1, 'done', ?)`).run(at)
  for (let i = 1; i <= 3; i++) {
    d.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, import_batch_id, imported_at)
       VALUES (?, 'jpeg', 360, 363, 3, ?, '/x', 1, ?)`
    ).run(`h${i}`, `c${i}.jpg`, at)
    d.prepare(`INSERT INTO image_originals (image_id, bytes) VALUES (?, x'010203')`).run(i)
    d.prepare(`INSERT INTO labels (image_id, class, source, at) VALUES (?, ?, 'folder', ?)`).run(i, i === 3 ? 'basophil' : 'neutrophil', at)
    d.prepare(`INSERT INTO dataset_images (dataset_id, image_id, added_at) VALUES (1, ?, ?)`).run(i, at)
  }
  return d
}

describe('migration 002 models and runs', () => {
  it('migrates a version-1 database with rows and keeps them', () => {
    db = versionOneWithRows()
    expect(migrate(db)).toBe(MIGRATIONS.length)
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(2)
    expect(db.prepare('SELECT count(*) FROM images').pluck().get()).toBe(3)
    expect(db.prepare('SELECT class FROM current_labels ORDER BY image_id').pluck().all()).toEqual(['neutrophil', 'neutrophil', 'basophil'])
    for (const t of ['fold_plans', 'fold_assignments', 'runs', 'run_images', 'run_folds', 'run_epochs', 'checkpoints', 'models', 'model_blobs', 'predictions']) {
      const sql = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).pluck().get(t) as string
      expect(sql, t).toMatch(/STRICT/)
    }
  })

  it('stores a run with its folds, images, epochs, checkpoint, models and predictions', () => {
    db = versionOneWithRows()
    migrate(db)
    const planId = createFoldPlan(db, {
      name: 'pbc-k2-seed7',
      k: 2,
      seed: 7,
      datasetId: 1,
      assignments: [
        { imageId: 1, labelId: 1, class: 'neutrophil', fold: 0 },
        { imageId: 2, labelId: 2, class: 'neutrophil', fold: 1 },
        { imageId: 3, labelId: 3, class: 'basophil', fold: 0 }
      ]
    })
    expect(getFoldPlan(db, 'pbc-k2-seed7')).toMatchObject({ id: planId, k: 2, seed: 7 })
    expect(foldAssignments(db, planId).map((a) => a.fold)).toEqual([0, 1, 0])
    expect(() => createFoldPlan(db, { name: 'bad', k: 2, seed: 1, assignments: [{ imageId: 1, labelId: 1, class: 'x', fold: 2 }] })).toThrow(/outside/)
    expect(getFoldPlan(db, 'bad')).toBeUndefined() // the failed plan left nothing behind

    const runId = createRun(db, {
      kind: 'crossval',
      architecture: 'wnet',
      inputSize: 32,
      classes: ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte'],
      hyperparameters: { epochs: 3, batchSize: 5 },
      seed: 7,
      datasetId: 1,
      foldPlanId: planId
    })
    expect(getRun(db, runId)).toMatchObject({ status: 'running', pid: process.pid, hyperparameters: { epochs: 3 } })
    addRunImages(db, runId, foldAssignments(db, planId).map((a) => ({ ...a, role: 'crossval' as const })))
    expect(runImages(db, runId)).toHaveLength(3)
    expect(() => db.prepare(`INSERT INTO run_images (run_id, image_id, role) VALUES (?, 1, 'guess')`).run(runId)).toThrow(/CHECK|UNIQUE|PRIMARY/)

    ensureRunFolds(db, runId, 2)
    ensureRunFolds(db, runId, 2) // idempotent
    recordEpoch(db, { runId, fold: 0, epoch: 1, trainLoss: 1.2, trainAccuracy: 0.4, learningRate: 1e-4, valAccuracy: 0.5, valMacroF1: 0.3, valMetrics: { recall: [1] }, seconds: 2, imagesPerSecond: 10 })
    recordEpoch(db, { runId, fold: 0, epoch: 1, trainLoss: 1.1, trainAccuracy: 0.45, learningRate: 1e-4, valAccuracy: null, valMacroF1: null, valMetrics: null, seconds: 2, imagesPerSecond: 10 })
    expect(runEpochs(db, runId)).toHaveLength(1)
    expect(runEpochs(db, runId, 0)[0]).toMatchObject({ trainLoss: 1.1, valMetrics: null })

    putRunCheckpoint(db, { runId, fold: 0, epoch: 1, format: 'test/1', archive: new Uint8Array([1, 2, 3]) })
    expect(Array.from(getRunCheckpoint(db, runId, 0)!.archive)).toEqual([1, 2, 3])

    const modelId = insertModel(db, {
      name: 'fold 0',
      architecture: 'wnet',
      inputSize: 32,
      classes: ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte'],
      preprocessRecipe: 'wnet-central-crop-v1',
      topology: { class_name: 'Model' },
      weightSpecs: [{ name: 'w', shape: [2], dtype: 'float32' }],
      weights: new Uint8Array(8),
      provenance: 'run',
      runId,
      fold: 0
    })
    finishRunFold(db, runId, 0, { modelId, metrics: { accuracy: 1 } })
    deleteRunCheckpoint(db, runId, 0)
    expect(getRunCheckpoint(db, runId, 0)).toBeUndefined()
    expect(runFolds(db, runId).map((f) => f.status)).toEqual(['done', 'pending'])
    expect(getModelArtifacts(db, modelId)!.weights.byteLength).toBe(8)
    expect(() => db.prepare(`UPDATE models SET provenance = 'stolen' WHERE id = ?`).run(modelId)).toThrow(/CHECK/)

    // At most one default model.
    const other = insertModel(db, { ...getModel(db, modelId)!, topology: {}, weightSpecs: [], weights: new Uint8Array(0), provenance: 'shipped', name: 'shipped' })
    setDefaultModel(db, modelId)
    setDefaultModel(db, other)
    expect(getDefaultModel(db)!.id).toBe(other)
    expect(() => db.prepare('UPDATE models SET is_default = 1 WHERE id = ?').run(modelId)).toThrow(/UNIQUE/)

    putPredictions(db, [
      { imageId: 1, modelId, probabilities: { neutrophil: 0.9, eosinophil: 0.05, basophil: 0.02, lymphocyte: 0.02, monocyte: 0.01 }, topClass: 'neutrophil', confidence: 0.9 }
    ])
    putPredictions(db, [
      { imageId: 1, modelId, probabilities: { neutrophil: 0.8, eosinophil: 0.1, basophil: 0.05, lymphocyte: 0.03, monocyte: 0.02 }, topClass: 'neutrophil', confidence: 0.8, oodScore: 3.5, unidentified: false }
    ])
    const preds = listPredictions(db, { modelId })
    expect(preds).toHaveLength(1)
    expect(preds[0]).toMatchObject({ imageId: 1, confidence: 0.8, unidentified: false, oodScore: 3.5 })
    expect(preds[0].probabilities.eosinophil).toBeCloseTo(0.1)
    expect(() => putPredictions(db, [{ imageId: 2, modelId, probabilities: { neutrophil: 1 }, topClass: 'neutrophil', confidence: 1 }])).toThrow(/eosinophil/)

    finishRun(db, runId, 'done', { metrics: { accuracy: 0.9 } })
    expect(getRun(db, runId)).toMatchObject({ status: 'done', metrics: { accuracy: 0.9 } })
  })

  it('marks runs of dead processes interrupted and lets a new process claim them', () => {
    db = versionOneWithRows()
    migrate(db)
    const runId = createRun(db, { kind: 'train', architecture: 'wnet', inputSize: 32, classes: ['a'], seed: 1 })
    // A pid that cannot exist on Linux (above pid_max).
    db.prepare('UPDATE runs SET pid = 99999999 WHERE id = ?').run(runId)
    expect(markInterruptedRuns(db)).toBe(1)
    expect(getRun(db, runId)!.status).toBe('interrupted')
    claimRun(db, runId)
    expect(getRun(db, runId)).toMatchObject({ status: 'running', pid: process.pid })
    expect(markInterruptedRuns(db)).toBe(0)
  })
})
