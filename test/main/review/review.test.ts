// Slide review on a real slide (14 real cells imported into a temp store,
// fixture model output): gallery, reclassification with its audit trail,
// undo, the live differential, sign-off and reopening, comments, exports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WBC_CLASSES } from '../../../src/shared/cells'
import { UNIDENTIFIED } from '../../../src/shared/review'
import { clopperPearson } from '../../../src/main/stats'
import {
  addComment, cellHistory, exportSlide, reclassifyCells, reopenSlide, reviewedTrainingLabels, ReviewError, setReviewSettings, signSlide,
  slideComments, slideDifferential, slideGallery, slideHistory, undoLastReclassification
} from '../../../src/main/review'
import { appendLabel, currentLabel, getSlide, labelHistory } from '../../../src/main/store'
import { PLAN, realSlide, type SlideFixture } from './fixtures'

let f: SlideFixture
beforeAll(async () => {
  f = await realSlide(PLAN)
})
afterAll(() => f?.close())

const groupOf = (cell: number) => slideGallery(f.db, f.slideId).groups.find((g) => g.cells.some((c) => c.id === f.ids[cell]))!
const refusal = (fn: () => unknown): ReviewError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof ReviewError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

// The tests run in order on one slide: each step builds on the review so far.
describe('slide review on real cells', () => {
  it('groups cells by the model call, routes low confidence, flagged and unclassified cells to Unidentified, least confident first', () => {
    const g = slideGallery(f.db, f.slideId)
    expect(g.slide.status).toBe('imported')
    expect(g.cellCount).toBe(14)
    // The fixture model's calibration chose no review threshold: the fixed 0.8 applies, and says so.
    expect(g.settings).toEqual({ unidentifiedThreshold: 0.8, unidentifiedThresholdFrom: 'default', targetCount: 100, target200From200Cells: false, secondVerification: false, wbcCorrectedByAnalyser: false })
    // The five (even when empty: basophil), then Unidentified; no other label present yet.
    expect(g.groups.map((x) => x.label)).toEqual([...WBC_CLASSES, UNIDENTIFIED])
    const ids = (label: string) => g.groups.find((x) => x.label === label)!.cells.map((c) => f.ids.indexOf(c.id))
    expect(ids('neutrophil')).toEqual([1, 2, 0]) // 0.90, 0.95, 0.99
    expect(ids('lymphocyte')).toEqual([5, 10, 4]) // 0.85, 0.86 (a monocyte the model got wrong), 0.97
    expect(ids('eosinophil')).toEqual([8, 7])
    expect(ids('monocyte')).toEqual([9])
    expect(ids('basophil')).toEqual([])
    // Unclassified first, then by confidence: 0.55, 0.6, 0.7, 0.9 (flagged by the model's own check).
    expect(ids(UNIDENTIFIED)).toEqual([6, 12, 11, 3, 13])
    const unid = g.groups.find((x) => x.label === UNIDENTIFIED)!
    expect(unid.counted).toBe(false)
    expect(unid.cells.map((c) => c.basis)).toEqual(['no-prediction', 'below-threshold', 'below-threshold', 'below-threshold', 'model-unidentified'])
    const top = g.groups[0]!.cells[2]!
    expect(top.prediction).toMatchObject({ label: 'neutrophil', confidence: 0.99, modelId: f.modelId })
    expect(top.prediction!.probabilities.neutrophil).toBeCloseTo(0.99)
    expect(slideGallery(f.db, f.slideId, { order: 'descending' }).groups[0]!.cells.map((c) => f.ids.indexOf(c.id))).toEqual([0, 2, 1])
  })

  it('applies the threshold of the slide over the global one', () => {
    setReviewSettings(f.db, { slideId: null, unidentifiedThreshold: 0.65, who: 'lab admin' })
    expect(groupOf(3).label).toBe('neutrophil') // 0.70 >= 0.65 globally
    expect(groupOf(11).label).toBe(UNIDENTIFIED) // 0.60
    setReviewSettings(f.db, { slideId: f.slideId, unidentifiedThreshold: 0.8, who: 'Dr Lee' })
    expect(groupOf(3).label).toBe(UNIDENTIFIED)
    expect(slideGallery(f.db, f.slideId).settings.unidentifiedThreshold).toBe(0.8)
    expect(refusal(() => setReviewSettings(f.db, { slideId: f.slideId, unidentifiedThreshold: 1.2, who: 'x' })).code).toBe('invalid_input')
  })

  it('reclassifies one cell: a reviewer label with who/when/why, old -> new in the history, slide in review', () => {
    const r = reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[10]!], label: 'Mono', who: 'Dr Lee', why: 'kidney-shaped nucleus', at: '2026-03-02T09:00:00.000Z' })
    expect(r.changed).toEqual([{ cellId: f.ids[10], old: 'lymphocyte', new: 'monocyte' }])
    expect(groupOf(10).label).toBe('monocyte')
    expect(groupOf(10).cells.find((c) => c.id === f.ids[10])!.basis).toBe('reviewer')
    expect(getSlide(f.db, f.slideId)!.status).toBe('in_review')
    const h = cellHistory(f.db, f.ids[10]!)
    expect(h.changes).toEqual([
      { labelId: expect.any(Number), cellId: f.ids[10], old: 'lymphocyte', new: 'monocyte', who: 'Dr Lee', at: '2026-03-02T09:00:00.000Z', source: 'reviewer', why: 'kidney-shaped nucleus', action: 'reclassify', modelCall: { label: 'lymphocyte', confidence: 0.86 } }
    ])
    expect(currentLabel(f.db, f.ids[10]!)).toMatchObject({ class: 'monocyte', source: 'reviewer' })
    expect(refusal(() => reclassifyCells(f.db, { slideId: f.slideId, cellIds: [999999], label: 'monocyte', who: 'Dr Lee' })).code).toBe('not_found')
    expect(refusal(() => reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[0]!], label: 'unclassified', who: 'Dr Lee' })).code).toBe('invalid_input')
    expect(refusal(() => reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[0]!], label: 'monocyte', who: '  ' })).code).toBe('invalid_input')
  })

  it('reclassifies in bulk as one action, and undo takes the whole action back by appending the previous labels', () => {
    const cells = [f.ids[11]!, f.ids[12]!, f.ids[4]!]
    const r = reclassifyCells(f.db, { slideId: f.slideId, cellIds: cells, label: 'basophil', who: 'Dr Lee' })
    expect(r.changed.map((c) => c.old)).toEqual([UNIDENTIFIED, UNIDENTIFIED, 'lymphocyte'])
    expect(new Set(r.changed.map((c) => c.new))).toEqual(new Set(['basophil']))
    expect(groupOf(4).label).toBe('basophil')

    const u = undoLastReclassification(f.db, { slideId: f.slideId, who: 'Dr Lee' })
    expect(u.undid).toBe(r.actionId)
    expect(u.changed.map((c) => [c.old, c.new])).toEqual([['basophil', UNIDENTIFIED], ['basophil', UNIDENTIFIED], ['basophil', 'lymphocyte']])
    expect(groupOf(11).label).toBe(UNIDENTIFIED)
    expect(groupOf(12).label).toBe(UNIDENTIFIED)
    expect(groupOf(4).label).toBe('lymphocyte')
    // History keeps both: nothing was removed.
    expect(labelHistory(f.db, f.ids[4]!).map((l) => [l.class, l.source])).toEqual([['basophil', 'reviewer'], ['lymphocyte', 'reviewer']])
    expect(cellHistory(f.db, f.ids[4]!).changes.map((c) => [c.old, c.new, c.action])).toEqual([['lymphocyte', 'basophil', 'reclassify'], ['basophil', 'lymphocyte', 'undo']])

    // Undo again walks further back (the single reclassification before), then there is nothing left.
    undoLastReclassification(f.db, { slideId: f.slideId, who: 'Dr Lee' })
    expect(groupOf(10).label).toBe('lymphocyte')
    expect(refusal(() => undoLastReclassification(f.db, { slideId: f.slideId, who: 'Dr Lee' })).code).toBe('conflict')
    // Redo it the right way for the rest of the review.
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[10]!], label: 'monocyte', who: 'Dr Lee' })
    // A reviewer label equal to the request appends nothing.
    expect(reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[10]!], label: 'monocyte', who: 'Dr Lee' })).toEqual({ actionId: null, changed: [], unchanged: [f.ids[10]] })
  })

  it('computes the live differential: Unidentified shown but not counted, exact CIs per class', () => {
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[12]!], label: 'PLT', who: 'Dr Lee' })
    const d = slideDifferential(f.db, f.slideId)
    // Counted: neutrophil 3 (0,1,2), lymphocyte 2 (4,5), eosinophil 2, monocyte 2 (9,10), basophil 0.
    expect(Object.fromEntries(d.counted.map((l) => [l.label, l.count]))).toEqual({ neutrophil: 3, eosinophil: 2, basophil: 0, lymphocyte: 2, monocyte: 2 })
    expect(d.totalCounted).toBe(9)
    expect(d.unidentified).toBe(4) // 3, 6, 11, 13
    expect(d.notCounted).toEqual([{ label: UNIDENTIFIED, count: 4 }, { label: 'platelet', count: 1 }])
    for (const line of d.counted) {
      const ci = clopperPearson(line.count, 9)
      expect(line.percent).toBeCloseTo((100 * line.count) / 9, 10)
      expect(line.ciLow).toBeCloseTo(100 * ci.low, 10)
      expect(line.ciHigh).toBeCloseTo(100 * ci.high, 10)
    }
    expect(d.counted.find((l) => l.label === 'basophil')!.ciHigh).toBeGreaterThan(30) // 0 of 9: wide
    expect(d.targetCount).toBe(100)
    expect(d.targetReached).toBe(false)
    // The platelet group appears in the gallery after the five and Unidentified.
    expect(slideGallery(f.db, f.slideId).groups.map((g) => g.label)).toEqual([...WBC_CLASSES, UNIDENTIFIED, 'platelet'])
  })

  it('exports an unsigned slide as preliminary in every format', async () => {
    addComment(f.db, { slideId: f.slideId, who: 'Dr Lee', text: 'Platelet clumps at the feathered edge.' })
    addComment(f.db, { slideId: f.slideId, cellId: f.ids[10]!, who: 'Dr Lee', text: 'monocyte, not a lymphocyte' })
    expect(slideComments(f.db, f.slideId).map((c) => c.cellId)).toEqual([null, f.ids[10]])
    const csv = await exportSlide(f.db, f.slideId, 'csv', { reportedAt: '2026-03-02T10:00:00+01:00' })
    expect(csv.status).toBe('preliminary')
    expect(csv.fileName).toBe('SLIDE-A-differential-preliminary.csv')
    const text = Buffer.from(csv.bytes).toString('utf8')
    expect(text).toMatch(/status,preliminary/)
    expect(text).toMatch(/Platelet clumps/)
    const hl7 = Buffer.from((await exportSlide(f.db, f.slideId, 'hl7')).bytes).toString('utf8')
    const obr = hl7.split('\r').find((s) => s.startsWith('OBR|'))!.split('|')
    expect(obr[25]).toBe('P')
    const fhir = JSON.parse(Buffer.from((await exportSlide(f.db, f.slideId, 'fhir')).bytes).toString('utf8'))
    expect(fhir.entry[0].resource).toMatchObject({ resourceType: 'DiagnosticReport', status: 'preliminary' })
    const pdf = await exportSlide(f.db, f.slideId, 'pdf')
    expect(Buffer.from(pdf.bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-')
  })

  it('refuses sign-off while Unidentified cells remain', () => {
    const e = refusal(() => signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' }))
    expect(e.code).toBe('conflict')
    expect(e.message).toMatch(/4 Unidentified cells/)
    expect(refusal(() => signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: ' ' })).code).toBe('invalid_input')
  })

  it('signs once every cell has a class, turning the standing model calls into reviewer labels; a signed slide is read-only', async () => {
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[3]!], label: 'neutrophil', who: 'Dr Lee' })
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[6]!], label: 'lymphocyte', who: 'Dr Lee' })
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[11]!], label: 'basophil', who: 'Dr Lee' })
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[13]!], label: 'platelet', who: 'Dr Lee' })
    const s = signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved', at: '2026-03-02T10:15:00.000Z' })
    expect(s).toMatchObject({ signedBy: 'Dr Lee', meaning: 'Reviewed and approved', totalCounted: 12 })
    // Model calls left standing: 0, 1, 2, 5, 7, 8, 9.
    expect(s.accepted).toBe(7)
    expect(getSlide(f.db, f.slideId)!.status).toBe('signed')
    expect(slideGallery(f.db, f.slideId).signed).toBe(true)
    expect(cellHistory(f.db, f.ids[0]!).changes.at(-1)).toMatchObject({ old: 'neutrophil', new: 'neutrophil', source: 'reviewer', action: 'accept' })

    const before = slideDifferential(f.db, f.slideId)
    for (const attempt of [
      () => reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[0]!], label: 'eosinophil', who: 'Dr Ng' }),
      () => undoLastReclassification(f.db, { slideId: f.slideId, who: 'Dr Ng' }),
      () => addComment(f.db, { slideId: f.slideId, who: 'Dr Ng', text: 'late note' }),
      () => setReviewSettings(f.db, { slideId: f.slideId, unidentifiedThreshold: 0.99, who: 'Dr Ng' }),
      () => signSlide(f.db, { slideId: f.slideId, who: 'Dr Ng', meaning: 'Reviewed' })
    ]) {
      expect(refusal(attempt).code).toBe('conflict')
    }
    // A global threshold change cannot move a signed slide's cells.
    setReviewSettings(f.db, { slideId: null, unidentifiedThreshold: 0.999, who: 'lab admin' })
    expect(slideDifferential(f.db, f.slideId).counted).toEqual(before.counted)

    const csv = await exportSlide(f.db, f.slideId, 'csv')
    expect(csv.status).toBe('final')
    expect(csv.fileName).toBe('SLIDE-A-differential.csv')
    expect(Buffer.from(csv.bytes).toString('utf8')).toMatch(/status,final/)
    const hl7 = Buffer.from((await exportSlide(f.db, f.slideId, 'hl7')).bytes).toString('utf8')
    expect(hl7.split('\r').find((x) => x.startsWith('OBR|'))!.split('|')[25]).toBe('F')
    const fhir = JSON.parse(Buffer.from((await exportSlide(f.db, f.slideId, 'fhir')).bytes).toString('utf8'))
    expect(fhir.entry[0].resource.status).toBe('final')
    expect(fhir.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toContain('Provenance')
  })

  it('reopens with a reason, which is recorded, and the slide can be changed again', () => {
    expect(refusal(() => reopenSlide(f.db, { slideId: f.slideId, who: 'Dr Ng', reason: '' })).code).toBe('invalid_input')
    reopenSlide(f.db, { slideId: f.slideId, who: 'Dr Ng', reason: 'second opinion on cell 11', at: '2026-03-03T08:00:00.000Z' })
    expect(getSlide(f.db, f.slideId)!.status).toBe('in_review')
    expect(refusal(() => reopenSlide(f.db, { slideId: f.slideId, who: 'Dr Ng', reason: 'again' })).code).toBe('conflict')
    const h = slideHistory(f.db, f.slideId)
    expect(h.signOffs).toEqual([
      { status: 'signed', who: 'Dr Lee', userId: null, at: '2026-03-02T10:15:00.000Z', meaning: 'Reviewed and approved', reason: '', verification: 1, contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { status: 'reopened', who: 'Dr Ng', userId: null, at: '2026-03-03T08:00:00.000Z', meaning: '', reason: 'second opinion on cell 11', verification: 1, contentSha256: '' }
    ])
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[11]!], label: 'monocyte', who: 'Dr Ng' })
    expect(groupOf(11).label).toBe('monocyte')
    // The slide history lists every label change of its cells, in order.
    const last = h.changes.length
    expect(slideHistory(f.db, f.slideId).changes.slice(last)).toEqual([expect.objectContaining({ cellId: f.ids[11], old: 'basophil', new: 'monocyte', who: 'Dr Ng' })])
  })

  it('makes reviewed labels the training labels the current_labels view prefers', () => {
    const training = reviewedTrainingLabels(f.db, { slideId: f.slideId })
    // Every cell has a reviewer label after the sign-off; none is "unidentified".
    expect(training).toHaveLength(14)
    expect(training.every((t) => t.source === 'reviewer')).toBe(true)
    expect(training.find((t) => t.imageId === f.ids[13])!.class).toBe('platelet')
    expect(training.find((t) => t.imageId === f.ids[10])!.class).toBe('monocyte')
  })
})

describe('current_labels prefers the reviewer over imported labels', () => {
  it('a class-folder label on a slide cell yields to a reviewer label and stays in the history', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const { openStore, listImages } = await import('../../../src/main/store')
    const { importPath } = await import('../../../src/main/import')
    const { copyCells } = await import('../import/fixtures')
    const dir = mkdtempSync(join(tmpdir(), 'wbc-review-'))
    // An analyser export: a slide folder with its own pre-classification folders.
    copyCells('pbc-wbc', 'eosinophil', 2, join(dir, 'export', 'SLIDE-B'), 'eosinophil')
    const db = openStore(join(dir, 'wbc.db'))
    try {
      await importPath(db, join(dir, 'export'), { dataset: null, cachePixels: false })
      const [a, b] = listImages(db)
      expect(currentLabel(db, a!.id)).toMatchObject({ class: 'eosinophil', source: 'folder' })
      // Not classified by a model yet: Unidentified (the imported class is shown for reference).
      const g = slideGallery(db, a!.slideId!)
      expect(g.groups.find((x) => x.label === UNIDENTIFIED)!.cells.map((c) => [c.basis, c.importedLabel])).toEqual([['no-prediction', 'eosinophil'], ['no-prediction', 'eosinophil']])
      reclassifyCells(db, { slideId: a!.slideId!, cellIds: [a!.id, b!.id], label: 'neutrophil', who: 'Dr Lee' })
      expect(currentLabel(db, a!.id)).toMatchObject({ class: 'neutrophil', source: 'reviewer' })
      expect(labelHistory(db, a!.id).map((l) => l.source)).toEqual(['folder', 'reviewer'])
      expect(reviewedTrainingLabels(db).map((t) => t.class)).toEqual(['neutrophil', 'neutrophil'])
      // An expert's label outranks a later reviewer's, in the view and in the gallery alike.
      appendLabel(db, { imageId: b!.id, class: 'basophil', source: 'expert', who: 'Prof Ruiz' })
      expect(refusal(() => reclassifyCells(db, { slideId: b!.slideId!, cellIds: [b!.id], label: 'lymphocyte', who: 'Dr Lee' })).code).toBe('conflict')
      expect(currentLabel(db, b!.id)).toMatchObject({ class: 'basophil', source: 'expert' })
      expect(slideGallery(db, b!.slideId!).groups.find((x) => x.label === 'basophil')!.cells.map((c) => [c.id, c.basis])).toEqual([[b!.id, 'expert']])
      expect(cellHistory(db, a!.id).changes.map((c) => [c.old, c.new, c.source])).toEqual([[null, 'eosinophil', 'folder'], [UNIDENTIFIED, 'neutrophil', 'reviewer']])
    } finally {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
