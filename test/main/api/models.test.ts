// The contract's model, run and GAN-job methods against a real (empty) store:
// the shared architecture list matches the ML core's, curves are thinned
// without losing their ends or shape, and requests are refused plainly before
// any job starts. (A real cross-validation through these methods is in
// test/e2e/models.e2e.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWorkstation, type Workstation } from '../../../src/main/api'
import { thinCurve } from '../../../src/main/services/runs'

let dir: string
let ws: Workstation
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-api-models-'))
  ws = openWorkstation({ shell: 'browser', version: '0', dbPath: join(dir, 'wbc.sqlite') })
})
afterAll(async () => {
  await ws?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('models and runs contract', () => {
  it('thins a curve of thousands of points to a few hundred, keeping both ends and the order', () => {
    const n = 5000
    const pts: [number, number][] = Array.from({ length: n }, (_, i) => [i / (n - 1), Math.sqrt(i / (n - 1))])
    const thin = thinCurve(pts)
    expect(thin.length).toBeLessThan(600)
    expect(thin.length).toBeGreaterThan(100)
    expect(thin[0]).toEqual([0, 0])
    expect(thin.at(-1)).toEqual([1, 1])
    for (let i = 1; i < thin.length; i++) expect(thin[i]![0]).toBeGreaterThanOrEqual(thin[i - 1]![0])
    // A step that jumps is kept: the vertical rise of a ROC curve at x = 0.
    const steps: [number, number][] = [[0, 0], [0, 0.001], [0, 0.9], [0.5, 0.9], [1, 1]]
    expect(thinCurve(steps)).toEqual([[0, 0], [0, 0.9], [0.5, 0.9], [1, 1]])
  })

  it('lists nothing on an empty store and refuses what cannot be done', async () => {
    expect(await ws.dispatch('models.list', {}, 'local-operator')).toEqual({ ok: true, value: [] })
    expect(await ws.dispatch('runs.list', {}, 'local-operator')).toEqual({ ok: true, value: [] })
    expect(await ws.dispatch('runs.get', { id: 3 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await ws.dispatch('models.setDefault', { id: 3 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await ws.dispatch('train.start', { dataset: 'nope' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found', message: 'dataset "nope" not found' } })
    expect(await ws.dispatch('crossval.start', { dataset: 'x', folds: 1 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'folds' }] } })
    expect(await ws.dispatch('crossval.start', { dataset: 'x', architecture: 'inception' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await ws.dispatch('train.start', { dataset: 'x', epochs: 2, dropoutOffEpochs: 3 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', message: 'dropout-off epochs (3) cannot exceed the epochs (2)' } })
    expect(await ws.dispatch('crossval.start', { dataset: 'x', dropoutOffEpochs: -1 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'dropoutOffEpochs' }] } })
    expect(await ws.dispatch('train.start', { dataset: 'x', balance: 'oversample' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'balance' }] } })
    expect(await ws.dispatch('crossval.start', { dataset: 'x', schedule: 'step' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'schedule' }] } })
    expect(await ws.dispatch('train.start', { dataset: 'x', augment: 'yes' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'augment' }] } })
    expect(await ws.dispatch('transfer.start', { dataset: 'x', baseModelId: 4 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found', message: 'model 4 not found' } })
    expect(await ws.dispatch('transfer.start', { dataset: 'x', baseModelId: 4, modes: [] }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'modes' }] } })
    expect(await ws.dispatch('transfer.start', { dataset: 'x', baseModelId: 4, modes: ['last-layer'] }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    // The network comes from the base model: the request cannot name one.
    expect(await ws.dispatch('transfer.start', { dataset: 'x', baseModelId: 4, architecture: 'wnet' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await ws.dispatch('models.calibrate', { id: 4, other: 'pbc-other' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found', message: 'model 4 not found' } })
    expect(await ws.dispatch('models.calibrate', { id: 4, other: 'pbc-other', fit: 'pbc' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await ws.dispatch('models.calibrate', { id: 4, other: 'pbc-other', target: 0.9 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'target' }] } })
    expect(await ws.dispatch('gan.start', { class: 'basophil', datasetId: 9 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await ws.dispatch('gan.start', { class: 'basophil', name: '../x' }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await ws.dispatch('synthetic.generate', { generatorId: 1 }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await ws.dispatch('synthetic.runReport', { generatorIds: [1] }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await ws.dispatch('synthetic.runReport', { generatorIds: [] }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    // Nothing was started.
    expect(await ws.dispatch('jobs.list', {}, 'local-operator')).toEqual({ ok: true, value: [] })
  })
})
