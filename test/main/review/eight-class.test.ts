// Review with an eight-class model (the five WBC types + ig, erythroblast,
// platelet): the gallery shows the model's classes, IG is counted as the
// leukocyte it is with its own row, erythroblasts are reported per 100 WBC
// and not counted, platelets are not counted; the Unidentified threshold in
// force is the one the model's card chose, until the lab sets its own; the
// HL7 report codes IG and NRBC with LOINC. Real cells (test/fixtures/cells);
// the model's calls are written into the predictions table (a stand-in model
// row, as in fixtures.ts) so each call is known.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WBC_CLASSES } from '../../../src/shared/cells'
import { UNIDENTIFIED } from '../../../src/shared/review'
import { insertModel, putPredictions } from '../../../src/main/store'
import { exportSlide, reviewSettings, setReviewSettings, slideDifferential, slideGallery } from '../../../src/main/review'
import { realSlide, type PlannedCell, type SlideFixture } from './fixtures'

const EIGHT = [...WBC_CLASSES, 'ig', 'erythroblast', 'platelet']

// Index -> the eight-class model's call.
const CALLS: { cell: PlannedCell; label: string; confidence: number }[] = [
  { cell: { dataset: 'pbc-wbc', truth: 'neutrophil' }, label: 'neutrophil', confidence: 0.95 },
  { cell: { dataset: 'pbc-wbc', truth: 'neutrophil' }, label: 'neutrophil', confidence: 0.65 },
  { cell: { dataset: 'pbc-wbc', truth: 'lymphocyte' }, label: 'lymphocyte', confidence: 0.9 },
  { cell: { dataset: 'pbc-wbc', truth: 'monocyte' }, label: 'monocyte', confidence: 0.9 },
  { cell: { dataset: 'pbc-other', truth: 'ig' }, label: 'ig', confidence: 0.9 },
  { cell: { dataset: 'pbc-other', truth: 'ig' }, label: 'ig', confidence: 0.55 },
  { cell: { dataset: 'pbc-other', truth: 'erythroblast' }, label: 'erythroblast', confidence: 0.97 },
  { cell: { dataset: 'pbc-other', truth: 'platelet' }, label: 'platelet', confidence: 0.99 }
]

let f: SlideFixture
let model8: number

beforeAll(async () => {
  f = await realSlide(CALLS.map((c) => c.cell), 'SLIDE-8')
  model8 = insertModel(f.db, {
    name: 'eight-class fixture',
    architecture: 'wnet',
    inputSize: 128,
    classes: EIGHT,
    preprocessRecipe: 'wnet-central-crop-v1',
    topology: {},
    weightSpecs: [],
    weights: new Uint8Array(0),
    provenance: 'imported',
    // What a calibration with the review choice stores (only the part review reads matters here).
    calibration: { score: 'msp', threshold: 0.99, review: { confidenceThreshold: 0.6, wbcRouted: 0.04, otherKeptOut: 0.93, maxWbcRate: 0.05, minOtherRate: 0.9, met: true } }
  })
  putPredictions(
    f.db,
    CALLS.map((c, i) => {
      const rest = (1 - c.confidence) / (EIGHT.length - 1)
      return { imageId: f.ids[i]!, modelId: model8, probabilities: Object.fromEntries(EIGHT.map((k) => [k, k === c.label ? c.confidence : rest])), topClass: c.label, confidence: c.confidence, unidentified: false }
    })
  )
}, 60_000)
afterAll(() => f?.close())

describe('review with an eight-class model', () => {
  it('shows a group per class of the model, IG after the five, and uses the threshold its card chose', () => {
    expect(reviewSettings(f.db, f.slideId)).toMatchObject({ unidentifiedThreshold: 0.6, unidentifiedThresholdFrom: 'model' })
    const g = slideGallery(f.db, f.slideId)
    expect(g.groups.map((x) => x.label)).toEqual([...WBC_CLASSES, 'ig', UNIDENTIFIED, 'erythroblast', 'platelet'])
    const members = (label: string) => g.groups.find((x) => x.label === label)!.cells.map((c) => f.ids.indexOf(c.id))
    // 0.65 is above the card's 0.6 (under the old fixed 0.8 it would have been Unidentified); the 0.55 IG is not.
    expect(members('neutrophil')).toEqual([1, 0])
    expect(members('ig')).toEqual([4])
    expect(members(UNIDENTIFIED)).toEqual([5])
    expect(members('erythroblast')).toEqual([6])
    expect(g.groups.find((x) => x.label === 'ig')!.counted).toBe(true)
    expect(g.groups.find((x) => x.label === 'erythroblast')!.counted).toBe(false)
    expect(g.groups.find((x) => x.label === 'platelet')!.counted).toBe(false)
  })

  it('counts IG in the differential with its own row; erythroblasts per 100 WBC; platelets not counted', () => {
    const d = slideDifferential(f.db, f.slideId)
    expect(d.counted.map((r) => r.label)).toEqual([...WBC_CLASSES, 'ig'])
    expect(d.totalCounted).toBe(5) // 2 neutrophils, 1 lymphocyte, 1 monocyte, 1 IG
    expect(d.counted.find((r) => r.label === 'ig')).toMatchObject({ count: 1, percent: 20 })
    expect(d.notCounted).toEqual(expect.arrayContaining([{ label: 'erythroblast', count: 1 }, { label: 'platelet', count: 1 }, { label: UNIDENTIFIED, count: 1 }]))
    expect(d.results!.perHundredWbc.find((r) => r.label === 'erythroblast')).toMatchObject({ count: 1, per100: 20 })
  })

  it('reports IG and NRBC with their LOINC codes', async () => {
    const hl7 = Buffer.from((await exportSlide(f.db, f.slideId, 'hl7', { reportedAt: '2026-12-06T10:00:00.000Z', timeZone: 'UTC' })).bytes).toString('utf8')
    expect(hl7).toContain('|71695-1^Immature granulocytes/100 leukocytes in Blood by Automated count^LN||20.0|')
    expect(hl7).toContain('|58413-6^')
  })

  it("the lab's own threshold overrides the card's", () => {
    setReviewSettings(f.db, { slideId: null, unidentifiedThreshold: 0.8, who: 'lab admin' })
    expect(reviewSettings(f.db, f.slideId)).toMatchObject({ unidentifiedThreshold: 0.8, unidentifiedThresholdFrom: 'lab' })
    const g = slideGallery(f.db, f.slideId)
    expect(g.groups.find((x) => x.label === 'neutrophil')!.cells.map((c) => f.ids.indexOf(c.id))).toEqual([0])
  })
})
