// `wbc classify --slide` follows the Review screen's rules (the slides
// service): an imported slide becomes 'classified', the counts it prints are
// the slide's differential groups under the slide's Unidentified threshold
// (what `wbc slide show` prints), and a signed slide is refused. Real cells,
// a real (untrained, 32 px) W-Net stored as the default model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { buildModel, specFor } from '../../src/main/ml/model/architectures/index'
import { initBackend } from '../../src/main/ml/model/tfjs-backend'
import { saveModel } from '../../src/main/ml/model/registry'
import { WNET_RECIPE } from '../../src/main/imaging/decode'
import { setReviewSettings, signSlide } from '../../src/main/review'
import { listPredictions } from '../../src/main/store/models'
import { getSlide } from '../../src/main/store/slides'
import { WBC_CLASSES } from '../../src/shared/cells'
import type { SlideDifferential } from '../../src/shared/review'
import { wbc as run } from '../helpers/wbc'
import { PLAN, realSlide, type SlideFixture } from '../main/review/fixtures'

const SAMPLE = 'S-2026-0099'
let f: SlideFixture
beforeAll(async () => {
  // Eight real cells, none classified yet.
  f = await realSlide(PLAN.slice(0, 8).map(({ predicted: _p, ...cell }) => cell), SAMPLE)
  await initBackend()
  const model = buildModel(specFor('wnet', { inputSize: 32, seed: 5 }))
  await saveModel(f.db, model, { architecture: 'wnet', inputSize: 32, classes: [...WBC_CLASSES], preprocessRecipe: WNET_RECIPE }, { name: 'W-Net 32 px (untrained)', provenance: 'run', setDefault: true })
  model.dispose()
})
afterAll(() => f?.close())

const wbc = (args: string[]) => run([...args, '--db', join(f.dir, 'wbc.db')])

/** Printed count lines ("  neutrophil   3  37.5%") as label -> count. */
function printedCounts(out: string): Record<string, number> {
  return Object.fromEntries([...out.matchAll(/^ {2}(\S+)\s+(\d+)\s+[\d.]+%$/gm)].map((m) => [m[1]!, Number(m[2])]))
}

/** `wbc slide show --json` as label -> count, Unidentified and not-counted groups included. */
function shownCounts(d: SlideDifferential): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(d.counted.filter((l) => l.count > 0).map((l) => [l.label, l.count]))
  for (const n of d.notCounted) if (n.count > 0) out[n.label] = n.count
  return out
}

describe('wbc classify --slide', () => {
  it('moves an imported slide to classified and prints the counts `wbc slide show` prints', async () => {
    expect(getSlide(f.db, f.slideId)?.status).toBe('imported')
    const first = await wbc(['classify', '--slide', SAMPLE])
    expect(first.code).toBe(0)
    expect(getSlide(f.db, f.slideId)?.status).toBe('classified')

    // A threshold between this model's confidences, so some calls fall under it.
    const confidences = listPredictions(f.db, { imageIds: f.ids }).map((p) => p.confidence).sort((a, b) => a - b)
    expect(confidences).toHaveLength(8)
    const threshold = (confidences[3]! + confidences[4]!) / 2
    expect(confidences[3]).toBeLessThan(confidences[4]!)
    setReviewSettings(f.db, { slideId: f.slideId, unidentifiedThreshold: threshold, who: 'Dr Lee' })

    const again = await wbc(['classify', '--slide', SAMPLE])
    expect(again.code).toBe(0)
    const printed = printedCounts(again.out)
    const shown = shownCounts(JSON.parse((await wbc(['slide', 'show', SAMPLE, '--json'])).out) as SlideDifferential)
    expect(printed).toEqual(shown)
    // The second run's calls are the first one's (same model, same cells): four fall under the threshold.
    expect(printed.unidentified).toBe(4)
    expect(Object.values(printed).reduce((a, b) => a + b, 0)).toBe(8)
  })

  it('refuses a signed slide and leaves its predictions alone', async () => {
    // A slide signs only with no cell left Unidentified.
    setReviewSettings(f.db, { slideId: f.slideId, unidentifiedThreshold: 0, who: 'Dr Lee' })
    signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed and approved' })
    const before = listPredictions(f.db, { imageIds: f.ids }).length
    const r = await wbc(['classify', '--slide', SAMPLE])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/is signed: reopen it before classifying it again/)
    expect(listPredictions(f.db, { imageIds: f.ids })).toHaveLength(before)
    expect(getSlide(f.db, f.slideId)?.status).toBe('signed')
  })
})
