// Site adaptation on real cells: a small PBC model adapted to real Chula
// cells (32 px, a few epochs). The held-out site cells are never trained on,
// the PBC reference cells are scored before and after, the adapted model is
// stored and not made the default unless asked, the model's own calls are
// never taken as labels, and a cancelled run resumes where it stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, rmSync } from 'node:fs'
import { trainRun } from '../../../../src/main/ml/train/training-run'
import { adaptToSite, formatAdaptReport, referenceCellsPath } from '../../../../src/main/ml/train/site-adaptation'
import { adaptationResult } from '../../../../src/main/services/site-adaptation'
import { unloadClassifiers } from '../../../../src/main/ml/model/registry'
import { getDefaultModel, getModel, setDefaultModel } from '../../../../src/main/store/models'
import { getRun, runEpochs, runImages } from '../../../../src/main/store/index'
import { appendLabel } from '../../../../src/main/store/labels'
import { selectCells, selectLabelledCells, selectSiteLabelledCells } from '../../../../src/main/ml/data/stored-cells'
import { importPath } from '../../../../src/main/import/index'
import { copyFileSync, mkdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { realCells } from '../../../helpers/datasets'
import { smallStore, FIVE, type SmallStore } from './cross-validation-fixtures'

let s: SmallStore
let baseId: number
beforeAll(async () => {
  s = await smallStore({ 'pbc-wbc': { classes: FIVE, perClass: 6 }, 'chula-wbc': { classes: FIVE, perClass: 6 } })
  const base = await trainRun(s.db, { dataset: 'pbc-wbc', inputSize: 32, workers: 0, settings: { epochs: 2, batchSize: 5, learningRate: 1e-3 } })
  baseId = base.modelId!
  setDefaultModel(s.db, baseId)
}, 120_000)
afterAll(() => {
  unloadClassifiers()
  s?.db.close()
  if (s) rmSync(s.root, { recursive: true, force: true })
})

const quick = { epochs: 2, batchSize: 5, replayPerClass: 2 }

describe('adaptToSite', () => {
  it("ships PBC reference cells: check cells are the shipped model's held-out cells, replay cells others", async () => {
    const root = referenceCellsPath()!
    const { listClassFolders } = await import('../../../../src/main/ml/data/cell-set')
    const held = new Set(readFileSync(join(process.cwd(), 'resources/models/wnet-pbc-heldout.csv'), 'utf8').split('\n').slice(1).map((l) => l.split(',')[0]))
    const check = await listClassFolders(join(root, 'check'))
    const replay = await listClassFolders(join(root, 'replay'))
    expect(check.length).toBeGreaterThan(80)
    expect(check.every((f) => held.has(f.relative))).toBe(true)
    expect(replay.some((f) => held.has(f.relative))).toBe(false)
  })

  it('fine-tunes on the site cells, holds a stratified part out, and reports before / after on it and on PBC reference cells', async () => {
    const r = await adaptToSite(s.db, { dataset: 'chula-wbc', recipe: quick, heldOutShare: 0.2, workers: 0 })
    expect(r.status).toBe('done')
    expect(r.baseModel.id).toBe(baseId)
    // 30 cells, 1 in 5 held out per class: 6 held out, 24 trained on, plus 2 replayed PBC cells per class.
    expect(r.siteCells).toEqual({ train: 24, heldOut: 6 })
    expect(r.referenceCells.replay).toBe(10)
    expect(r.referenceCells.check).toBeGreaterThan(50)
    expect(r.before.site.total).toBe(6)
    expect(r.after!.site.total).toBe(6)
    expect(r.before.reference!.total).toBe(r.referenceCells.check)
    expect(r.after!.reference!.total).toBe(r.referenceCells.check)
    // Stratified: one held-out cell per class... and those cells are not among the trained ones.
    const images = runImages(s.db, r.runId)
    const held = images.filter((i) => i.role === 'validation')
    expect(new Set(held.map((i) => i.class))).toEqual(new Set(FIVE))
    expect(images.filter((i) => i.role === 'train').some((i) => held.some((h) => h.imageId === i.imageId))).toBe(false)
    // A run of its own, from the base model; the adapted model is stored but not the default.
    const run = getRun(s.db, r.runId)!
    expect(run).toMatchObject({ kind: 'finetune', baseModelId: baseId, status: 'done' })
    expect(runEpochs(s.db, r.runId).length).toBe(2)
    const m = getModel(s.db, r.modelId!)!
    expect(m.isDefault).toBe(false)
    expect(getDefaultModel(s.db)!.id).toBe(baseId)
    expect(m.classes).toEqual(getModel(s.db, baseId)!.classes)
    // The recipe's grey-world inputs: the adapted model carries them (its base, trained without, keeps none).
    expect(r.recipe.inputNormalisation).toBe('grey-world')
    expect(m.inputNormalisation).toBe('grey-world')
    expect(getModel(s.db, baseId)!.inputNormalisation).toBe('none')
    expect(r.isDefault).toBe(false)
    const text = formatAdaptReport(r)
    expect(text).toMatch(/chula-wbc held-out accuracy\s+\d+\.\d%\s+\d+\.\d%/)
    expect(text).toMatch(/PBC reference accuracy\s+\d+\.\d%\s+\d+\.\d%/)
    expect(text).toContain(`wbc model default ${r.modelId}`)
    expect(text).toContain('input colour normalisation grey-world')
    const result = adaptationResult(r)
    expect(result.inputNormalisation).toBe('grey-world')
    expect(result.after!.site.cells).toBe(6)
    expect(result.before.reference!.recall).toHaveLength(5)

    // The same request again is the same run, already done: nothing is retrained.
    const again = await adaptToSite(s.db, { dataset: 'chula-wbc', recipe: quick, heldOutShare: 0.2, workers: 0 })
    expect(again.runId).toBe(r.runId)
    expect(again.modelId).toBe(r.modelId)
  }, 180_000)

  it('makes the adapted model the default only when asked (and adapts without colour normalisation when asked)', async () => {
    const r = await adaptToSite(s.db, { dataset: 'chula-wbc', recipe: { ...quick, epochs: 1, inputNormalisation: 'none' }, heldOutShare: 0.2, workers: 0, setDefault: true })
    expect(getModel(s.db, r.modelId!)!.inputNormalisation).toBe('none')
    expect(r.isDefault).toBe(true)
    expect(getDefaultModel(s.db)!.id).toBe(r.modelId)
    setDefaultModel(s.db, baseId)
  }, 180_000)

  it("never learns from the model's own calls", async () => {
    // A flat folder of cells (no class folders) imports unlabelled; a model's calls then label them.
    const flat = join(s.root, 'site-unreviewed')
    mkdirSync(flat)
    for (const f of realCells('chula-wbc', 'lymphocyte', 8).slice(6)) copyFileSync(f, join(flat, basename(f)))
    await importPath(s.db, flat, { dataset: 'site-unreviewed' })
    const cells = selectLabelledCells(s.db, { dataset: 'site-unreviewed' }, FIVE)
    expect(cells).toHaveLength(0)
    for (const c of selectCells(s.db, { dataset: 'site-unreviewed' })) {
      appendLabel(s.db, { imageId: c.imageId, class: 'lymphocyte', source: 'model', who: `model ${baseId}`, at: new Date().toISOString(), why: '' })
    }
    expect(selectLabelledCells(s.db, { dataset: 'site-unreviewed' }, FIVE)).toHaveLength(2)
    expect(selectSiteLabelledCells(s.db, { dataset: 'site-unreviewed' }, FIVE)).toHaveLength(0)
    await expect(adaptToSite(s.db, { dataset: 'site-unreviewed', recipe: quick, workers: 0 })).rejects.toThrow(/has 0 labelled cells/)
  }, 60_000)

  it('cancelled mid-run, the same request resumes from the last finished epoch', async () => {
    const abort = new AbortController()
    const opts = { dataset: 'chula-wbc', recipe: { ...quick, epochs: 3, learningRate: 5e-4 }, heldOutShare: 0.25, workers: 0 }
    const first = await adaptToSite(s.db, {
      ...opts,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.metrics?.epoch === 2) abort.abort()
      }
    })
    expect(first.status).toBe('cancelled')
    expect(runEpochs(s.db, first.runId).length).toBe(1)
    const second = await adaptToSite(s.db, opts)
    expect(second.status).toBe('done')
    expect(second.runId).toBe(first.runId)
    expect(runEpochs(s.db, second.runId).map((e) => e.epoch)).toEqual([1, 2, 3])
  }, 180_000)
})
