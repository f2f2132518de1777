// The Models screen end to end through browser mode: a real 3-fold
// cross-validation of W-Net at 32 px on 30 real PBC cells is run through the
// ML core in setup; the page must show its report (Table 10, per-class
// metrics, confusion heat map) with every chart actually drawn on its canvas,
// start a small training from the form with live progress, and make its model
// the default; then fine-tune that model on real Chulalongkorn cells (another
// site and stain) against training from scratch and read the two side by
// side; adapt it to those cells (before / after, the PBC forgetting check) and
// make the adapted model the default. Screenshots at both target sizes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { openStore } from '../../src/main/store'
import { importPath } from '../../src/main/import'
import { crossValidate, type CrossvalReport } from '../../src/main/ml/train/cross-validation'
import { realCells } from '../helpers/datasets'
import { launchBrowser, requireBuiltRendererAndChromium, SHOTS, shoot, signIn, startServe, type Served } from './harness'
import { addTestUser } from '../helpers/people'

const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
const DATASET = 'pbc-e2e'
const TRANSFER_DATASET = 'chula-e2e'
const OTHER_DATASET = 'other-e2e'

let tmp: string
let served: Served | undefined
const TECH_PASSWORD = 'tess has a long password'
let context: BrowserContext | undefined
let page: Page
let errors: string[] = []
let cv: CrossvalReport

/** How many of a canvas's pixels are painted (not transparent): a chart that failed to draw has none. */
async function paintedPixels(p: Page, index: number): Promise<number> {
  return p.locator('[data-testid="run-report"] canvas').nth(index).evaluate((c) => {
    const canvas = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null }
    const ctx = canvas.getContext('2d')
    if (!ctx || !canvas.width || !canvas.height) return 0
    const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data
    let n = 0
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++
    return n
  })
}

beforeAll(async () => {
  requireBuiltRendererAndChromium()
  tmp = mkdtempSync(join(tmpdir(), 'wbc-e2e-models-'))
  mkdirSync(SHOTS, { recursive: true })
  // 30 real cells, 6 per class, as a labelled class-folder tree.
  for (const cls of CLASSES) {
    mkdirSync(join(tmp, DATASET, cls), { recursive: true })
    for (const f of realCells('pbc-wbc', cls, 6)) copyFileSync(f, join(tmp, DATASET, cls, basename(f)))
  }
  // And 20 real Chulalongkorn cells, 4 per class, for the transfer-learning test.
  for (const cls of CLASSES) {
    mkdirSync(join(tmp, TRANSFER_DATASET, cls), { recursive: true })
    for (const f of realCells('chula-wbc', cls, 4)) copyFileSync(f, join(tmp, TRANSFER_DATASET, cls, basename(f)))
  }
  // And 15 real non-WBC objects (immature granulocytes, erythroblasts, platelets) to calibrate Unidentified routing against.
  for (const cls of ['ig', 'erythroblast', 'platelet']) {
    mkdirSync(join(tmp, OTHER_DATASET, cls), { recursive: true })
    for (const f of realCells('pbc-other', cls, 5)) copyFileSync(f, join(tmp, OTHER_DATASET, cls, basename(f)))
  }
  const dbPath = join(tmp, 'wbc.sqlite')
  const db = openStore(dbPath)
  try {
    await importPath(db, join(tmp, DATASET))
    await importPath(db, join(tmp, TRANSFER_DATASET))
    await importPath(db, join(tmp, OTHER_DATASET))
    cv = await crossValidate(db, { dataset: DATASET, inputSize: 32, k: 3, seed: 7, settings: { epochs: 2 }, checkpointRoot: join(tmp, 'ck') })
    // A technologist runs the models (training, transfer, calibration).
    await addTestUser(db, 'tess', ['technologist'], TECH_PASSWORD)
  } finally {
    db.close()
  }
  served = await startServe(dbPath)
  ;({ context, page, errors } = await launchBrowser(join(tmp, 'profile')))
}, 180_000)

afterAll(async () => {
  await context?.close()
  await served?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('Models screen', () => {
  it('shows the cross-validation run and its report with the charts drawn', async () => {
    expect(cv.status).toBe('done')
    await signIn(page, served!.url, 'tess', TECH_PASSWORD)
    await page.getByRole('navigation', { name: 'Screens' }).waitFor()
    await page.locator('a[data-screen="models"]').click()
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor()

    const rows = page.getByTestId('runs-table').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(1)
    const row = await rows.first().locator('td').allTextContents()
    expect(row[0]).toBe(String(cv.runId))
    expect(row[1]).toContain('Cross-val.')
    expect(row[2]).toBe('W-Net 32 px')
    expect(row[3]).toBe(DATASET)
    expect(row[4]).toContain('done')
    expect(row[5]).toBe(`${(cv.overall.accuracy * 100).toFixed(1)}%`)
    expect(row[7]).toBe(cv.backend)

    const report = page.getByTestId('run-report')
    await report.waitFor()
    // Table 10: one row per fold, one column per class plus the fold's overall accuracy.
    const t10 = page.getByTestId('table10')
    expect(await t10.locator('tbody tr').count()).toBe(3)
    expect(await t10.locator('thead th').allTextContents()).toEqual(['Fold', 'Neut', 'Eos', 'Baso', 'Lymph', 'Mono', 'Overall'])
    const fold1 = await t10.locator('tbody tr').first().locator('td').allTextContents()
    expect(fold1[5]).toBe(`${((cv.table10.overall[0] ?? NaN) * 100).toFixed(1)}%`)
    // Per-class precision / recall / F1 with support summing to the 30 cells.
    const support = await page.getByTestId('class-metrics').locator('tbody tr td:nth-child(5)').allTextContents()
    expect(support.map(Number)).toEqual(cv.overall.perClass.map((m) => m.support))
    expect(support.map(Number).reduce((a, b) => a + b, 0)).toBe(30)
    // The heat map holds the pooled confusion matrix, shaded cells where there are counts.
    const heat = page.getByTestId('confusion-matrix')
    const counts = (await heat.locator('tbody td.confusion-cell').allTextContents()).map((t) => Number(t.trim()))
    expect(counts).toEqual(cv.overall.confusion.flat())
    const shaded = await heat.locator('tbody td.confusion-cell').evaluateAll((tds) =>
      (tds as unknown as { textContent: string; style: { backgroundColor: string } }[]).filter((td) => Number(td.textContent.trim()) > 0 && td.style.backgroundColor !== '').length
    )
    expect(shaded).toBe(cv.overall.confusion.flat().filter((n) => n > 0).length)
    // ROC, PR, loss and accuracy charts: four canvases, each with ink on it.
    const canvases = page.locator('[data-testid="run-report"] canvas')
    await expect.poll(() => canvases.count()).toBe(4)
    for (let i = 0; i < 4; i++) await expect.poll(() => paintedPixels(page, i)).toBeGreaterThan(500)
    expect(await page.getByTestId('training-curves').count()).toBe(1)
    await shoot(page, 'models-crossval-report')
  })

  it('starts a training from the form, shows live progress, and lists the run and its model', async () => {
    await page.locator('label.seg-item', { hasText: 'Train a model' }).click()
    expect(await page.getByTestId('mode-train').isChecked()).toBe(true)
    await page.getByTestId('train-dataset').selectOption(DATASET)
    await page.getByTestId('train-size').fill('32')
    await page.getByTestId('train-epochs').fill('3')
    expect(await page.locator('[data-testid="train-form"] input:invalid').count()).toBe(0)
    await page.getByTestId('train-share').fill('0.2')
    // The shipped model's recipe in one click: batch 8, cosine, balanced sampler, flips/rotations, a dropout-off epoch.
    await page.getByTestId('train-shipped-recipe').click()
    expect(await page.getByTestId('train-schedule').inputValue()).toBe('cosine')
    expect(await page.getByTestId('train-balance').inputValue()).toBe('sampler')
    expect(await page.getByTestId('train-augment').isChecked()).toBe(true)
    expect(await page.getByTestId('train-dropout-off').inputValue()).toBe('1')
    expect(await page.getByTestId('train-epochs').inputValue()).toBe('3')
    await page.getByTestId('start-training').click()
    const panel = page.getByTestId('training-progress')
    await panel.waitFor()
    // Live figures from the job's progress events: epoch and batch while training.
    await expect.poll(() => page.getByTestId('training-meta').textContent(), { timeout: 60_000 }).toMatch(/epoch \d+\/3/)
    await shoot(page, 'models-training-live')
    await expect.poll(() => panel.locator('strong').first().textContent(), { timeout: 60_000 }).toBe('Finished')

    const rows = page.getByTestId('runs-table').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    expect(await rows.first().locator('td').nth(1).textContent()).toContain('Training')
    await expect.poll(() => rows.first().locator('td').nth(4).textContent()).toContain('done')
    // The finished run is opened: held-out figures and its training curves (3 epochs).
    const report = page.getByTestId('run-report')
    await expect.poll(() => report.locator('h2').textContent()).toMatch(/Training/)
    // The report's heading can arrive before its held-out figures (the finished run is read again): wait for them.
    await expect.poll(() => report.getByTestId('class-metrics').count()).toBe(1)
    await expect.poll(() => page.locator('[data-testid="run-report"] canvas').count()).toBe(2)
    // The run is recorded with the recipe it was asked for.
    expect(await report.getByTestId('run-schedule').textContent()).toBe('cosine')
    expect(await report.getByTestId('run-balance').textContent()).toBe('sampler')
    expect(await report.getByTestId('run-augment').textContent()).toBe('flips/rotations')
    expect(await report.getByTestId('run-dropout-off').textContent()).toContain('last 1 epoch')

    // 3 fold models of the cross-validation and the trained model; make the new one the default.
    const models = page.getByTestId('models-table').locator('tbody tr')
    await expect.poll(() => models.count()).toBe(4)
    const newest = models.first()
    expect(await newest.locator('td').first().textContent()).toContain('32px')
    await newest.getByRole('button', { name: 'Set default' }).click()
    await expect.poll(() => newest.getByTestId('default-model').count()).toBe(1)
    expect(await page.getByTestId('default-model').count()).toBe(1)
    await shoot(page, 'models-trained')
  })

  it('fine-tunes the trained model on another site\'s cells against scratch and shows them side by side', async () => {
    await page.locator('label.seg-item', { hasText: 'Transfer learning' }).click()
    expect(await page.getByTestId('mode-transfer').isChecked()).toBe(true)
    // Without a base model the start is not offered.
    await page.getByTestId('train-dataset').selectOption(TRANSFER_DATASET)
    expect(await page.getByTestId('start-training').isDisabled()).toBe(true)
    const base = page.getByTestId('transfer-base')
    const option = base.locator('option', { hasText: 'wnet 32px run 2' })
    await base.selectOption(await option.getAttribute('value'))
    await page.getByTestId('train-folds').fill('2')
    await page.getByTestId('train-epochs').fill('2')
    await page.getByTestId('train-dropout-off').fill('0')
    expect(await page.getByTestId('transfer-all').isChecked()).toBe(true)
    expect(await page.getByTestId('transfer-head').isChecked()).toBe(true)
    expect(await page.getByTestId('start-training').textContent()).toContain('Start transfer learning')
    await page.getByTestId('start-training').click()
    const panel = page.getByTestId('training-progress')
    // The panel still shows the finished training until the new job's title arrives.
    await expect.poll(() => panel.textContent(), { timeout: 30_000 }).toContain('Transfer from wnet 32px run 2')
    expect(await panel.textContent()).toContain('scratch vs fine-tune all / head, 2-fold')
    await expect.poll(() => panel.locator('strong').first().textContent(), { timeout: 120_000 }).toBe('Finished')

    // The scratch arm's report opens with every arm side by side, each finished with its figures.
    const report = page.getByTestId('run-report')
    const table = report.getByTestId('transfer-comparison')
    await table.waitFor()
    const rows = table.locator('tbody tr')
    // The job's end re-opens the scratch arm's report; until then the live arm's report may still be shown.
    await expect.poll(() => report.locator('h2').textContent(), { timeout: 30_000 }).toMatch(/Cross-validation/)
    await expect.poll(() => rows.getByTestId('transfer-status').allTextContents(), { timeout: 30_000 }).toEqual(['done', 'done', 'done'])
    expect(await rows.locator('th button').allTextContents()).toEqual(['Scratch', 'Fine-tune all', 'Fine-tune head'])
    for (const r of await rows.all()) expect(await r.getByTestId('transfer-accuracy').textContent()).toMatch(/^\d+(\.\d)?%$/)
    expect(await table.textContent()).toContain(TRANSFER_DATASET)
    expect(await table.textContent()).toContain('wnet 32px run 2')
    await shoot(page, 'models-transfer')
    // An arm opens its own report; the comparison stays, with that arm marked.
    await rows.nth(1).locator('th button').click()
    await expect.poll(() => report.locator('h2').textContent()).toMatch(/Fine-tuning/)
    expect(await report.getByTestId('transfer-comparison').locator('tbody tr.selected th button').textContent()).toBe('Fine-tune all')
  }, 180_000)

  it('calibrates a model\'s Unidentified routing against non-WBC objects and the models list shows it', async () => {
    const row = page.getByTestId('models-table').locator('tbody tr', { hasText: 'wnet 32px run 2' })
    const id = await row.getAttribute('data-model-row')
    expect(await page.getByTestId(`routing-${id}`).locator('span').first().getAttribute('title')).toMatch(/^Not calibrated/)
    await page.getByTestId(`calibrate-${id}`).click()
    const form = page.getByTestId('calibrate-form')
    await form.waitFor()
    // Only datasets with non-WBC labels are offered; the model's own run supplies the WBCs.
    expect(await form.getByTestId('calibrate-other').locator('option').allTextContents()).toEqual([`${OTHER_DATASET} (15)`])
    expect(await form.getByTestId('calibrate-fit').count()).toBe(0)
    // Every default passes the browser's own validation (an off-step value would silently block the submit).
    expect(await form.locator('input:invalid, select:invalid').count()).toBe(0)
    await form.getByTestId('calibrate-target').fill('20')
    await form.getByTestId('calibrate-start').click()
    await expect.poll(() => form.count()).toBe(0)
    const panel = page.getByTestId('training-progress')
    await expect.poll(() => panel.textContent(), { timeout: 30_000 }).toContain('Calibrate Unidentified routing of wnet 32px run 2')
    await expect.poll(() => panel.locator('strong').first().textContent(), { timeout: 120_000 }).toBe('Finished')
    // The figures in words, as the reviewer sees them: detector plus the review default chosen with it.
    await expect.poll(() => page.getByTestId(`routing-${id}`).textContent()).toMatch(/\d+% of non-WBC objects kept out[\s\S]*\d+(\.\d)?% of WBCs in Unidentified[\s\S]*review default \d\.\d\d/)
    await shoot(page, 'models-calibrated')
  }, 180_000)

  it('adapts a model to this site on real Chulalongkorn cells, shows before / after and the PBC check, and makes it the default only on request', async () => {
    const row = page.getByTestId('models-table').locator('tbody tr', { hasText: 'wnet 32px run 2' })
    const id = await row.getAttribute('data-model-row')
    await page.getByTestId(`adapt-${id}`).click()
    const form = page.getByTestId('adapt-form')
    await form.waitFor()
    await form.getByTestId('adapt-dataset').selectOption(TRANSFER_DATASET)
    await form.getByTestId('adapt-epochs').fill('2')
    expect(await form.locator('input:invalid, select:invalid').count()).toBe(0)
    await form.getByTestId('adapt-start').click()
    await expect.poll(() => form.count()).toBe(0)
    const panel = page.getByTestId('training-progress')
    await expect.poll(() => panel.textContent(), { timeout: 30_000 }).toContain(`Adapt wnet 32px run 2 to ${TRANSFER_DATASET}`)
    await expect.poll(() => panel.locator('strong').first().textContent(), { timeout: 120_000 }).toBe('Finished')
    const result = page.getByTestId('adapt-result')
    await result.waitFor()
    // Before and after on the held-out Chula cells, and on the bundled PBC reference cells.
    expect(await result.getByTestId('adapt-site').textContent()).toMatch(/\d+\.\d%\s*\d+\.\d%/)
    expect(await result.getByTestId('adapt-reference').textContent()).toMatch(/\d+\.\d%\s*\d+\.\d%/)
    expect(await result.textContent()).toMatch(/16 site cells trained on, 4 held out/)
    // Stored beside its base, and not the default until asked.
    const adapted = page.getByTestId('models-table').locator('tbody tr', { hasText: `adapted to ${TRANSFER_DATASET}` })
    await expect.poll(() => adapted.count()).toBe(1)
    expect(await adapted.getByTestId('default-model').count()).toBe(0)
    await shoot(page, 'models-adapted')
    await result.getByTestId('adapt-make-default').click()
    await expect.poll(() => result.getByTestId('adapted-default').count()).toBe(1)
    await expect.poll(() => adapted.getByTestId('default-model').count()).toBe(1)
    expect(await page.getByTestId('default-model').count()).toBe(1)
  }, 180_000)

  it('ran without console errors or CSP violations (chart.js included)', () => {
    expect(errors).toEqual([])
  })
})
