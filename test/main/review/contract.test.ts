// The review rows of the contract through the one dispatcher, on a real slide:
// payloads are validated before the core sees them, refusals arrive as
// contract errors (conflict, not_found), and exports come back as bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Result } from '../../../src/shared/api'
import type { SlideExport, SlideGallery } from '../../../src/shared/review'
import { createDispatch, type Dispatch, type Principal } from '../../../src/main/api/dispatch'
import { createHandlers } from '../../../src/main/api/handlers'
import { callersOf } from '../../../src/main/api'
import { PLAN, realSlide, type SlideFixture } from './fixtures'
import { addTestUser, TEST_PASSWORD } from '../../helpers/people'

let f: SlideFixture
let dispatch: Dispatch
/** Dr Lee reviews and signs; Dr Ng reopens. */
let lee: Principal
let ng: Principal
beforeAll(async () => {
  f = await realSlide(PLAN.slice(0, 6), 'SLIDE-API')
  dispatch = createDispatch(createHandlers({ shell: 'browser', version: 't', dbPath: ':memory:', db: f.db, events: {} as never, jobs: {} as never, mlBackend: () => null, importRoots: null }), callersOf(f.db))
  lee = { userId: (await addTestUser(f.db, 'lee', ['verifier'])).userId }
  ng = { userId: (await addTestUser(f.db, 'ng', ['verifier'])).userId }
})
afterAll(() => f?.close())

const call = <T>(method: string, payload?: unknown, as: Principal = lee) => dispatch(method, payload, as) as Promise<Result<T>>

describe('review contract', () => {
  it('rejects malformed payloads before the core runs', async () => {
    const bad: [string, unknown, string][] = [
      ['review.gallery', { slideId: 0 }, 'slideId'],
      ['review.gallery', { slideId: f.slideId, order: 'random' }, 'order'],
      ['review.reclassify', { slideId: f.slideId, cellIds: [], label: 'monocyte' }, 'cellIds'],
      ['review.reclassify', { slideId: f.slideId, cellIds: [1.5], label: 'monocyte' }, 'cellIds.0'],
      // The acting user comes from the session: a payload naming someone is refused.
      ['review.reclassify', { slideId: f.slideId, cellIds: [f.ids[0]], label: 'monocyte', who: 'Dr Someone' }, ''],
      ['review.reclassify', { slideId: f.slideId, cellIds: [f.ids[0]], label: 'monocyte', sql: '1' }, ''],
      ['review.sign', { slideId: f.slideId, password: TEST_PASSWORD }, 'meaning'],
      ['review.sign', { slideId: f.slideId, meaning: 'Reviewed' }, 'password'],
      ['review.reopen', { slideId: f.slideId, reason: '' }, 'reason'],
      ['review.export', { slideId: f.slideId, format: 'docx' }, 'format'],
      ['review.settings', { slideId: null, targetCount: 150 }, 'targetCount'],
      ['review.settings', { slideId: null, unidentifiedThreshold: 2 }, 'unidentifiedThreshold'],
      ['review.comment', { slideId: f.slideId, text: '' }, 'text']
    ]
    for (const [method, payload, path] of bad) {
      const r = await call(method, payload)
      expect(r, `${method} ${JSON.stringify(payload)}`).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
      if (!r.ok) expect(r.error.issues!.map((i) => i.path)).toContain(path)
    }
    expect(await call('review.history', { slideId: f.slideId, cellId: f.ids[0] })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await call('review.history', {})).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
  })

  it('runs a review through the contract, refusals as conflict / not_found', async () => {
    expect(await call('review.gallery', { slideId: 999 })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await call('review.settings', { slideId: 999 })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await call('review.settings', { slideId: f.slideId })).toMatchObject({ ok: true, value: { unidentifiedThreshold: 0.8, targetCount: 100, secondVerification: false } })
    const g = await call<SlideGallery>('review.gallery', { slideId: f.slideId })
    // Of the first six planned cells only cell 3 (0.70) is under the threshold.
    expect(g.ok && g.value.groups.find((x) => x.label === 'unidentified')!.cells.map((c) => c.id)).toEqual([f.ids[3]])
    expect(await call('review.sign', { slideId: f.slideId, meaning: 'Reviewed', password: TEST_PASSWORD })).toMatchObject({ ok: false, error: { code: 'conflict' } })
    expect(await call('review.reclassify', { slideId: f.slideId, cellIds: [f.ids[3]], label: 'Lymph', why: 'round nucleus' })).toMatchObject({
      ok: true,
      value: { changed: [{ cellId: f.ids[3], old: 'unidentified', new: 'lymphocyte' }] }
    })
    expect(await call('review.settings', { slideId: f.slideId, targetCount: 200 })).toMatchObject({ ok: true, value: { targetCount: 200 } })
    expect(await call('review.differential', { slideId: f.slideId })).toMatchObject({ ok: true, value: { totalCounted: 6, targetCount: 200, targetReached: false, unidentified: 0 } })
    expect(await call('review.comment', { slideId: f.slideId, cellId: f.ids[3], text: 'check again' })).toMatchObject({ ok: true, value: { cellId: f.ids[3], who: 'lee' } })
    // A signature re-asks the password: a wrong one signs nothing.
    expect(await call('review.sign', { slideId: f.slideId, meaning: 'Reviewed and approved', password: 'not my password' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await call('review.sign', { slideId: f.slideId, meaning: 'Reviewed and approved', password: TEST_PASSWORD })).toMatchObject({
      ok: true,
      value: { totalCounted: 6, accepted: 5, signedBy: 'lee', verification: 1, final: true, contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }
    })
    // The local operator (command line without --user) never signs.
    expect(await call('review.sign', { slideId: f.slideId, meaning: 'x', password: TEST_PASSWORD }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await call('review.undo', { slideId: f.slideId })).toMatchObject({ ok: false, error: { code: 'conflict' } })
    const exp = await call<SlideExport>('review.export', { slideId: f.slideId, format: 'hl7', lab: { name: 'Central Lab' } })
    expect(exp.ok).toBe(true)
    if (exp.ok) {
      expect(exp.value).toMatchObject({ status: 'final', fileName: 'SLIDE-API-differential.hl7' })
      expect(exp.value.bytes).toBeInstanceOf(Uint8Array)
      expect(Buffer.from(exp.value.bytes).toString('utf8')).toMatch(/^MSH\|\^~\\&\|WBC Workstation\|Central Lab/)
    }
    expect(await call('review.reopen', { slideId: f.slideId, reason: 'recount' }, ng)).toMatchObject({ ok: true, value: { status: 'reopened', reason: 'recount', who: 'ng' } })
    const h = await call<{ signOffs: unknown[]; changes: unknown[] }>('review.history', { cellId: f.ids[3] })
    expect(h.ok && h.value.changes).toEqual([expect.objectContaining({ old: 'unidentified', new: 'lymphocyte', who: 'lee', source: 'reviewer', why: 'round nucleus' })])
    expect(await call('review.comments', { slideId: f.slideId })).toMatchObject({ ok: true, value: [{ text: 'check again' }] })
  })
})
