// What a site adaptation may learn from, with "signed slides only": a
// technologist's reclassifications on an unsigned slide are work in
// progress and stay out; once a verifier signs the slide, its cells (the
// reclassified ones and the model calls the signature accepted) come in;
// reopening the slide takes them out again. Real cells, fixture model calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selectSiteLabelledCells } from '../../../../src/main/ml/data/stored-cells'
import { reclassifyCells, reopenSlide, signSlide } from '../../../../src/main/review'
import { realSlide, type PlannedCell, type SlideFixture } from '../../review/fixtures'

const cell = (truth: string): PlannedCell => ({ dataset: 'pbc-wbc', truth, predicted: { label: truth, confidence: 0.95 } })
let f: SlideFixture
beforeAll(async () => {
  f = await realSlide([cell('neutrophil'), cell('neutrophil'), cell('lymphocyte'), cell('monocyte')], 'S-SIGNED-ONLY')
}, 60_000)
afterAll(() => f?.close())

const ids = (signedSlidesOnly: boolean) => selectSiteLabelledCells(f.db, { slideId: f.slideId }, undefined, { signedSlidesOnly }).map((c) => c.imageId)

describe('site cells from signed slides only', () => {
  it('leaves out unsigned work, takes a signed slide, and drops it again when reopened', () => {
    // Model calls alone are never site labels.
    expect(ids(false)).toEqual([])
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[0]!], label: 'lymphocyte', who: 'tess' })
    expect(ids(false)).toEqual([f.ids[0]])
    expect(ids(true)).toEqual([])

    signSlide(f.db, { slideId: f.slideId, who: 'vera', meaning: 'Reviewed and approved' })
    // The signature accepted the model's calls: every cell now carries a person's label.
    expect(ids(true)).toEqual(f.ids)
    expect(ids(false)).toEqual(f.ids)

    reopenSlide(f.db, { slideId: f.slideId, who: 'vera', reason: 'a second look' })
    expect(ids(true)).toEqual([])
    expect(ids(false)).toEqual(f.ids)
  })
})
