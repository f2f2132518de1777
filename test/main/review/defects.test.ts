// Review defects found in the keyboard walkthrough (issue 11), on real cells:
// accepting mixed model calls is one action that one undo takes back, the
// lab's 200-cell target rule, reports in the lab's local time with a readable
// model name, and abbreviations (IG) in capitals.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  acceptModelCalls, buildDifferentialReport, slideHistory, exportSlide, reclassifyCells, reviewSettings, setReviewSettings, signSlide, slideGallery, undoLastReclassification
} from '../../../src/main/review'
import { formatLabTime } from '../../../src/main/export/report'
import { UNIDENTIFIED } from '../../../src/shared/review'
import { cellLabelTitle } from '../../../src/shared/cells'
import { cellPage } from '../../../src/main/services/slides'
import { wbc } from '../../helpers/wbc'
import { join } from 'node:path'
import { PLAN, realSlide, type SlideFixture } from './fixtures'

let f: SlideFixture
beforeEach(async () => {
  f = await realSlide(PLAN)
})
afterEach(() => f?.close())

const unidentified = () => slideGallery(f.db, f.slideId).groups.find((g) => g.label === UNIDENTIFIED)!.cells.map((c) => c.id).sort()

describe('review defects', () => {
  it("accepts mixed model calls as ONE action, and one undo takes them all back", () => {
    const before = unidentified()
    // Cells 3 (neutrophil 0.7), 11 (lymphocyte 0.6) and 6 (no call) are Unidentified.
    const r = acceptModelCalls(f.db, { slideId: f.slideId, cellIds: [f.ids[3]!, f.ids[11]!, f.ids[6]!], who: 'Dr Lee' })
    expect(r.changed.map((c) => c.new).sort()).toEqual(['lymphocyte', 'neutrophil'])
    expect(r.uncalled).toEqual([f.ids[6]])
    expect(unidentified()).toEqual(before.filter((id) => id !== f.ids[3] && id !== f.ids[11]))
    const undone = undoLastReclassification(f.db, { slideId: f.slideId, who: 'Dr Lee' })
    expect(undone.undid).toBe(r.actionId)
    expect(undone.changed).toHaveLength(2)
    expect(unidentified()).toEqual(before)
  })

  it('counts a slide of 200 or more cells to 200 when the lab says so, unless the slide names its own target', () => {
    expect(reviewSettings(f.db, f.slideId).targetCount).toBe(100)
    setReviewSettings(f.db, { slideId: null, target200From200Cells: true, who: 'admin' })
    // 14 cells: the rule does not apply.
    expect(reviewSettings(f.db, f.slideId)).toMatchObject({ targetCount: 100, target200From200Cells: true })
    // 200 cells on the slide: 200 by default.
    const insert = f.db.prepare(
      `INSERT INTO images (sha256, format, width, height, byte_size, file_name, source_path, slide_id, import_batch_id, imported_at) VALUES (?, 'jpeg', 1, 1, 1, ?, '/x', ?, ?, '2026-01-01T00:00:00Z')`
    )
    const batch = f.db.prepare('SELECT import_batch_id FROM images LIMIT 1').pluck().get()
    for (let i = 0; i < 186; i++) insert.run(`pad-${i}`, `pad-${i}.jpg`, f.slideId, batch)
    expect(reviewSettings(f.db, f.slideId).targetCount).toBe(200)
    setReviewSettings(f.db, { slideId: f.slideId, targetCount: 100, who: 'Dr Lee' })
    expect(reviewSettings(f.db, f.slideId).targetCount).toBe(100)
    expect(() => setReviewSettings(f.db, { slideId: f.slideId, target200From200Cells: false, who: 'x' })).toThrow(/lab setting/)
  })

  it('lets the lab turn the 200-cell rule on from the command line', async () => {
    const db = join(f.dir, 'wbc.db')
    const on = await wbc(['review', 'settings', '--target-200-from-200-cells', 'on', '--who', 'admin', '--json', '--db', db])
    expect(on.err).toBe('')
    expect(JSON.parse(on.out)).toMatchObject({ target200From200Cells: true, targetCount: 100 })
    expect(reviewSettings(f.db, null).target200From200Cells).toBe(true)
    const slide = await wbc(['review', 'settings', '--slide', 'SLIDE-A', '--db', db])
    expect(slide.out).toMatch(/slide SLIDE-A: Unidentified below 0\.8 \(the fixed default: the model card chose none\), target 100 cells/)
    expect((await wbc(['review', 'settings', '--threshold', '', '--db', db])).err).toMatch(/between 0 and 1/)
  })

  it("lets the lab say its analyser's WBC count already excludes NRBC, globally only", async () => {
    const db = join(f.dir, 'wbc.db')
    const on = await wbc(['review', 'settings', '--wbc-corrected-by-analyser', 'on', '--who', 'admin', '--db', db])
    expect(on.err).toBe('')
    expect(on.out).toMatch(/analyser's WBC count already excludes NRBC \(not corrected again\): on/)
    expect(reviewSettings(f.db, null).wbcCorrectedByAnalyser).toBe(true)
    expect((await wbc(['review', 'settings', '--slide', 'SLIDE-A', '--wbc-corrected-by-analyser', 'off', '--db', db])).err).toMatch(/lab setting/)
    expect((await wbc(['review', 'settings', '--wbc-corrected-by-analyser', 'off', '--who', 'admin', '--db', db])).out).toMatch(/NRBC \(not corrected again\): off/)
  })

  it("prints the lab's local time with its zone and a readable model name", async () => {
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[3]!, f.ids[6]!, f.ids[11]!, f.ids[12]!, f.ids[13]!], label: 'ig', who: 'Dr Lee' })
    signSlide(f.db, { slideId: f.slideId, who: 'Dr Lee', meaning: 'Reviewed', at: '2026-12-05T23:09:57.421Z' })
    const report = buildDifferentialReport(f.db, f.slideId, { reportedAt: '2026-12-05T23:10:00.000Z', timeZone: 'Europe/Berlin' })
    expect(report.model).toEqual({ name: 'W-Net test fixture', version: `W-Net, stored model ${f.modelId}` })
    expect(formatLabTime('2026-12-05T23:09:57.421Z', 'Europe/Berlin')).toBe('2026-12-06 00:09:57 Europe/Berlin (UTC+01:00)')
    expect(formatLabTime('2026-07-01T10:00:00Z', 'America/New_York')).toBe('2026-07-01 06:00:00 America/New_York (UTC-04:00)')
    expect(formatLabTime('2026-12-05T23:09:57Z', 'UTC')).toBe('2026-12-05 23:09:57 UTC')
    const hl7 = Buffer.from((await exportSlide(f.db, f.slideId, 'hl7', { reportedAt: '2026-12-05T23:10:00.000Z', timeZone: 'Europe/Berlin' })).bytes).toString('utf8')
    expect(hl7).toContain('Signed off by Dr Lee at 2026-12-06 00:09:57 Europe/Berlin (UTC+01:00): Reviewed')
    expect(hl7).toContain(`Classified by model W-Net test fixture (W-Net, stored model ${f.modelId}).`)
    expect(hl7).not.toContain('2026-12-05T23:09:57.421Z')
    // Immature granulocytes are counted leukocytes with their own LOINC code (71695-1, % by automated count).
    expect(hl7).toContain('|71695-1^Immature granulocytes/100 leukocytes in Blood by Automated count^LN||35.7|')
  })

  it("tells the Slides preview where the review shows each cell, not only the model's call", () => {
    const page = cellPage(f.db, { slideId: f.slideId, offset: 0, limit: 48 })
    const byId = new Map(page.cells.map((c) => [c.id, c]))
    // Cell 3: the model says neutrophil at 0.7, under the 0.8 threshold: the review shows it Unidentified.
    expect(byId.get(f.ids[3]!)).toMatchObject({ prediction: { label: 'neutrophil' }, reviewGroup: UNIDENTIFIED })
    // Cell 13: flagged by the detector although 0.9 confident.
    expect(byId.get(f.ids[13]!)?.reviewGroup).toBe(UNIDENTIFIED)
    expect(byId.get(f.ids[0]!)?.reviewGroup).toBe('neutrophil')
  })

  it("shows the model's suggestion beside each label change in the audit history", () => {
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[10]!], label: 'monocyte', who: 'Dr Lee' })
    const change = slideHistory(f.db, f.slideId).changes.find((c) => c.cellId === f.ids[10])!
    // The model said lymphocyte (0.86); the reviewer overruled it.
    expect(change).toMatchObject({ old: 'lymphocyte', new: 'monocyte', modelCall: { label: 'lymphocyte', confidence: 0.86 } })
    // A cell nobody classified has no suggestion.
    reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[6]!], label: 'lymphocyte', who: 'Dr Lee' })
    expect(slideHistory(f.db, f.slideId).changes.find((c) => c.cellId === f.ids[6])!.modelCall).toBeNull()
  })

  it('writes abbreviations in capitals', () => {
    expect(cellLabelTitle('ig')).toBe('IG')
    expect(cellLabelTitle('nrbc')).toBe('NRBC')
    expect(cellLabelTitle('smudge')).toBe('Smudge')
  })
})
