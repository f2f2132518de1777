// Order and patient data on real slides: an analyser-style export with a
// per-slide manifest (CellaVision-like column names) and a worklist beside
// the slides, imported by the import core into a temp store; then a LIS
// worklist matched by sample id, a person's audited corrections, and the
// refusal once the slide is signed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importPath } from '../../../src/main/import'
import { importWorklist, orderHistory, parseOrderFile, slideOrder, updateSlideOrder } from '../../../src/main/order'
import { ReviewError, reclassifyCells, signSlide, slideGallery } from '../../../src/main/review'
import { getSlideBySampleId, openStore, type Db } from '../../../src/main/store'
import { copyCells } from '../import/fixtures'

let dir: string
let db: Db
let importReport: Awaited<ReturnType<typeof importPath>>
const slideOf = (sampleId: string) => getSlideBySampleId(db, sampleId)!.id

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-order-'))
  const root = join(dir, 'export')
  copyCells('pbc-wbc', 'neutrophil', 2, root, 'S-1001')
  copyCells('pbc-wbc', 'lymphocyte', 2, root, 'S-1002')
  // A per-slide manifest in the slide folder, as "field,value" lines with the names an analyser's slide information uses; no sample id (the folder's).
  writeFileSync(
    join(root, 'S-1001', 'slide-info.csv'),
    ['Field,Value', 'Accession No,ACC-77', 'Patient ID,MRN-5', 'Patient Name,"Doe, Jane"', 'Date of Birth,1950-03-04', 'Sex,female', 'Collection Time,2026-03-02 08:30', 'Ward,Haematology day unit', 'WBC,"7,5"'].join('\n')
  )
  // A worklist at the export root naming the other slide, a sample not in this import, and a bad date.
  writeFileSync(
    join(root, 'worklist.csv'),
    ['SAMPLE_ID;Order Number;MRN;Last Name;First Name;DOB;Gender;Collected;Location;WBC Count', 'S-1002;ORD-2;MRN-9;Roe;Rick;04.05.1961;M;20260302091500+0100;ED;12.4', 'S-9999;ORD-9;MRN-1;X;Y;1970-01-01;F;;;', 'S-1002;;;;;03/04/1950;;;;'].join('\r\n')
  )
  db = openStore(join(dir, 'wbc.db'))
  importReport = await importPath(db, root, { dataset: null, cachePixels: false })
})
afterAll(() => {
  db?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('order and patient data', () => {
  it('reads a per-slide manifest and a worklist found in an export, without taking them for cells', () => {
    expect(importReport.counts.imported).toBe(4)
    expect(importReport.files.some((f) => f.path.endsWith('.csv'))).toBe(false)
    expect(importReport.orders.updated.sort()).toEqual(['S-1001', 'S-1002'])
    // No empty slide is made for a worklist row whose sample is not here.
    expect(importReport.orders.unmatched).toEqual(['S-9999'])
    expect(getSlideBySampleId(db, 'S-9999')).toBeUndefined()
    expect(importReport.orders.problems.map((p) => p.message)).toEqual([expect.stringMatching(/worklist\.csv line 4: birthDate: "03\/04\/1950": day\/month order cannot be told/)])

    const a = slideOrder(db, slideOf('S-1001'))
    expect(a).toMatchObject({
      sampleId: 'S-1001',
      orderId: 'ACC-77',
      patientId: 'MRN-5',
      familyName: 'Doe',
      givenName: 'Jane',
      birthDate: '1950-03-04',
      sex: 'F',
      location: 'Haematology day unit',
      wbcCount: 7.5,
      readOnly: false
    })
    // A time without a zone is the workstation's local time: kept as written, with the local offset.
    expect(a.collectedAt).toMatch(/^2026-03-02T08:30:00(Z|[+-]\d{2}:\d{2})$/)
    expect(Date.parse(a.collectedAt!)).toBe(new Date(2026, 2, 2, 8, 30).getTime())

    expect(slideOrder(db, slideOf('S-1002'))).toMatchObject({
      orderId: 'ORD-2',
      patientId: 'MRN-9',
      familyName: 'Roe',
      givenName: 'Rick',
      birthDate: '1961-05-04',
      sex: 'M',
      collectedAt: '2026-03-02T09:15:00+01:00',
      location: 'ED',
      wbcCount: 12.4
    })
    const h = orderHistory(db, slideOf('S-1001'))
    expect(h.find((c) => c.field === 'orderId')).toMatchObject({ old: null, new: 'ACC-77', source: 'manifest', who: 'import', why: expect.stringContaining('slide-info.csv') })
  })

  it('audits a correction (who, when, old, new, why) and keeps it over a later worklist', () => {
    const id = slideOf('S-1002')
    const r = updateSlideOrder(db, { slideId: id, changes: { wbcCount: '11.9', location: '' }, who: 'Dr Lee', why: 'analyser rerun' })
    expect(r.changed.sort()).toEqual(['location', 'wbcCount'])
    expect(r.order.wbcCount).toBe(11.9)
    expect(r.order.location).toBeNull()
    const last = orderHistory(db, id).slice(-2)
    expect(last).toEqual([
      { field: 'location', old: 'ED', new: null, source: 'reviewer', who: 'Dr Lee', at: expect.any(String), why: 'analyser rerun' },
      { field: 'wbcCount', old: '12.4', new: '11.9', source: 'reviewer', who: 'Dr Lee', at: expect.any(String), why: 'analyser rerun' }
    ])
    // Setting the same value again writes nothing.
    expect(updateSlideOrder(db, { slideId: id, changes: { wbcCount: 11.9 }, who: 'Dr Lee' }).changed).toEqual([])
    expect(() => updateSlideOrder(db, { slideId: id, changes: { sex: 'Q' }, who: 'Dr Lee' })).toThrow(/sex/)
    expect(() => updateSlideOrder(db, { slideId: id, changes: { wbcCount: 7500 }, who: 'Dr Lee' })).toThrow(/per µL/)

    const worklist = parseOrderFile('Specimen ID,Accession,WBC,Ward\r\nS-1002,ORD-2b,12.4,ICU\r\n', 'lis-0302.csv')!
    const w = importWorklist(db, worklist, 'lis')
    expect(w.updated).toEqual(['S-1002'])
    expect(w.keptReviewerValues).toEqual([
      { sampleId: 'S-1002', field: 'wbcCount', kept: '11.9', file: '12.4' },
      { sampleId: 'S-1002', field: 'location', kept: null, file: 'ICU' }
    ])
    expect(slideOrder(db, id)).toMatchObject({ orderId: 'ORD-2b', wbcCount: 11.9, location: null })
    expect(orderHistory(db, id).at(-1)).toMatchObject({ field: 'orderId', old: 'ORD-2', new: 'ORD-2b', source: 'worklist', who: 'lis', why: 'worklist lis-0302.csv line 2' })
  })

  it('is read-only once the slide is signed: a correction is refused (conflict), a worklist leaves it alone', () => {
    const id = slideOf('S-1001')
    const cells = slideGallery(db, id).groups.flatMap((g) => g.cells.map((c) => c.id))
    reclassifyCells(db, { slideId: id, cellIds: cells, label: 'neutrophil', who: 'Dr Lee' })
    signSlide(db, { slideId: id, who: 'Dr Lee', meaning: 'Reviewed and approved' })
    expect(slideOrder(db, id).readOnly).toBe(true)
    let refusal: unknown
    try {
      updateSlideOrder(db, { slideId: id, changes: { patientId: 'MRN-6' }, who: 'Dr Lee' })
    } catch (err) {
      refusal = err
    }
    expect(refusal).toBeInstanceOf(ReviewError)
    expect((refusal as ReviewError).code).toBe('conflict')
    const w = importWorklist(db, parseOrderFile('sample,patient id\nS-1001,MRN-6\n', 'late.csv')!, 'lis')
    expect(w.signed).toEqual(['S-1001'])
    expect(slideOrder(db, id).patientId).toBe('MRN-5')
    // The log refuses rewriting.
    expect(() => db.prepare('UPDATE slide_order_entries SET value = ? WHERE slide_id = ?').run('x', id)).toThrow(/append-only/)
  })

  it('accepts column names case-, space- and punctuation-insensitively; a file with no order column is not an order file', () => {
    const f = parseOrderFile('  SAMPLE-ID ,patient_NAME,Date Of Birth,SEX\nA1,Smith^Ann,19800517,w\n', 'x.csv')!
    expect(f.rows[0]).toMatchObject({ sampleId: 'A1', problems: [] })
    expect(Object.fromEntries(f.rows[0]!.values)).toEqual({ familyName: 'Smith', givenName: 'Ann', birthDate: '1980-05-17', sex: 'F' })
    expect(parseOrderFile('file,class\na.jpg,NE\n')).toBeUndefined()
    expect(parseOrderFile('sample\nA1\n')).toBeUndefined()
  })
})
