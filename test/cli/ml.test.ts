// The ML commands through the real CLI entry: `wbc evaluate PATH --model M
// --json` on a class-folder tree of real cells (a model folder and a stored
// model id give the same figures), `wbc train`, `wbc runs`, `wbc model
// export|import` and `wbc classify` against a temp store; `wbc runs show --json`
// prints the same report as the Models screen's runs.get.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWorkstation } from '../../src/main/api'
import { initBackend } from '../../src/main/ml/model/tfjs-backend'
import { buildModel, specFor } from '../../src/main/ml/model/architectures/index'
import { modelToArtifacts, writeModelDir } from '../../src/main/ml/model/model-files'
import { WNET_RECIPE } from '../../src/main/imaging/decode'
import { WBC_CLASSES } from '../../src/shared/cells'
import { datasetPath } from '../helpers/datasets'
import { wbc } from '../helpers/wbc'
import { copyCells } from '../main/import/fixtures'
import { smallStore, type SmallStore } from '../main/ml/train/cross-validation-fixtures'

let dir: string
let modelDir: string
let s: SmallStore
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-eval-'))
  await initBackend()
  const model = buildModel(specFor('wnet', { inputSize: 32, seed: 9 }))
  modelDir = join(dir, 'model')
  await writeModelDir(modelDir, await modelToArtifacts(model, { architecture: 'wnet', inputSize: 32, classes: [...WBC_CLASSES], preprocessRecipe: WNET_RECIPE }))
  model.dispose()
  s = await smallStore({ 'pbc-wbc': { classes: WBC_CLASSES, perClass: 5 } })
  s.db.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterAll(() => rmSync(s.root, { recursive: true, force: true }))

describe('wbc evaluate', () => {
  it('prints accuracy, macro F1, per-class precision/recall/F1/n and the confusion matrix as JSON', async () => {
    const r = await wbc(['evaluate', datasetPath('pbc-wbc'), '--model', modelDir, '--limit', '4', '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.out)
    expect(j.n).toBe(20)
    expect(j.accuracy).toBeGreaterThanOrEqual(0)
    expect(j.accuracy).toBeLessThanOrEqual(1)
    expect(typeof j.macroF1).toBe('number')
    expect(Object.keys(j.perClass).sort()).toEqual([...WBC_CLASSES].sort())
    for (const c of WBC_CLASSES) {
      expect(j.perClass[c]).toEqual(expect.objectContaining({ precision: expect.any(Number), recall: expect.any(Number), f1: expect.any(Number), n: 4 }))
    }
    expect(j.confusion).toHaveLength(5)
    expect(j.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(20)
    const correct = j.confusion.reduce((a: number, row: number[], i: number) => a + row[i], 0)
    expect(j.accuracy).toBeCloseTo(correct / 20, 10)
    expect(j.backend).toBe('wasm')

    // The same model stored in a database and named by id gives the same figures.
    const db = join(s.root, 'store.sqlite')
    const imp = await wbc(['--db', db, 'model', 'import', modelDir, '--name', 'eval-model'])
    expect(imp.code).toBe(0)
    const id = /stored as model (\d+)/.exec(imp.out)![1]
    const r2 = await wbc(['--db', db, 'evaluate', datasetPath('pbc-wbc'), '--model', id, '--limit', '4', '--json'])
    expect(JSON.parse(r2.out).confusion).toEqual(j.confusion)
  })

  it('scores an eight-class model on a tree with the eight class folders', async () => {
    // A 32 px W-Net with the eight-class model's outputs; its figures are chance, the shape of the report is what is checked.
    const eight = [...WBC_CLASSES, 'ig', 'erythroblast', 'platelet']
    const model = buildModel(specFor('wnet', { inputSize: 32, seed: 4, numClasses: 8 }))
    const dir8 = join(dir, 'model8')
    await writeModelDir(dir8, await modelToArtifacts(model, { architecture: 'wnet', inputSize: 32, classes: eight, preprocessRecipe: WNET_RECIPE }))
    model.dispose()
    const tree = join(dir, 'tree8')
    for (const c of eight) copyCells(WBC_CLASSES.includes(c as never) ? 'pbc-wbc' : 'pbc-other', c, 2, tree, c)
    const r = await wbc(['evaluate', tree, '--model', dir8, '--json'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.out)
    expect(j.classes).toEqual(eight)
    expect(j.n).toBe(16)
    for (const c of eight) expect(j.perClass[c].n).toBe(2)
    expect(j.confusion).toHaveLength(8)
    expect(j.confusion.map((row: number[]) => row.reduce((a, b) => a + b, 0))).toEqual(eight.map(() => 2))
    const text = await wbc(['evaluate', tree, '--model', dir8])
    expect(text.out).toMatch(/^ig\s/m)
    expect(text.out).toMatch(/^erythroblast\s/m)
  })

  it('fails plainly without a model when none is shipped or the path has no class folders', async () => {
    const r = await wbc(['evaluate', dir, '--model', modelDir, '--json'])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/no images under/)
  })
})

describe('wbc train / runs / model / classify', () => {
  it('trains and stores a model, lists and shows the run, exports the model and classifies with it', async () => {
    const db = join(s.root, 'store.sqlite')
    const t = await wbc(['--db', db, 'train', '--dataset', 'pbc-wbc', '--size', '32', '--epochs', '2', '--batch', '5', '--lr', '1e-3', '--validation', '0.2', '--workers', '1', '--json'])
    expect(t.code).toBe(0)
    const report = JSON.parse(t.out)
    expect(report).toMatchObject({ status: 'done', architecture: 'wnet', inputSize: 32, trainCells: 20, validationCells: 5, backend: 'wasm' })
    expect(report.history).toHaveLength(2)
    expect(report.validation.perClass).toHaveLength(5)

    const list = JSON.parse((await wbc(['--db', db, 'runs', 'list', '--json'])).out)
    expect(list).toEqual([expect.objectContaining({ id: report.runId, kind: 'train', status: 'done', epochsRecorded: 2 })])
    const shown = await wbc(['--db', db, 'runs', 'show', String(report.runId)])
    expect(shown.out).toMatch(/Run \d+: train, done/)

    // `runs show --json` is the Models screen's report (runs.get), the training run's one fold with its accuracy.
    const shownJson = JSON.parse((await wbc(['--db', db, 'runs', 'show', String(report.runId), '--json'])).out)
    expect(shownJson.folds).toEqual([expect.objectContaining({ fold: 0, status: 'done', accuracy: report.validation.accuracy })])
    expect(shownJson.folds[0].accuracy).toEqual(expect.any(Number))
    const ws = openWorkstation({ shell: 'browser', version: '0.0.0', dbPath: db })
    const got = await ws.dispatch('runs.get', { id: report.runId }, 'local-operator')
    await ws.close()
    expect(got.ok).toBe(true)
    const { checkpoints, ...asShown } = shownJson
    expect(Array.isArray(checkpoints)).toBe(true)
    expect(asShown).toEqual(JSON.parse(JSON.stringify((got as { value: unknown }).value)))

    const exportDir = join(s.root, 'exported')
    expect((await wbc(['--db', db, 'model', 'export', String(report.modelId), exportDir])).code).toBe(0)
    expect(existsSync(join(exportDir, 'model.json'))).toBe(true)

    const c = await wbc(['--db', db, 'classify', '--dataset', 'pbc-wbc', '--model', String(report.modelId), '--json'])
    expect(c.code).toBe(0)
    const cj = JSON.parse(c.out)
    expect(cj.cells).toBe(25)
    expect(cj.predictions[0]).toEqual(expect.objectContaining({ topClass: expect.any(String), confidence: expect.any(Number) }))
  })
})
