// Two stations on one slide, through the one dispatcher with a real event bus:
// each change is announced (slide.changed, with the slide's new revision and
// who made it); a change sent against a view the slide has moved on from —
// reclassify, accept, undo, sign, reopen — is refused as `stale` and changes
// nothing; reloaded, the same change goes through. The revision moves with
// writes of any connection (a classification job's), and the command line,
// which sends no revision, acts on what is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiEvent, Result, SlideChangedEvent } from '../../../src/shared/api'
import type { ReviewHistory, SlideGallery } from '../../../src/shared/review'
import { createDispatch, type Dispatch, type Principal } from '../../../src/main/api/dispatch'
import { createHandlers } from '../../../src/main/api/handlers'
import { callersOf } from '../../../src/main/api'
import { createEventBus } from '../../../src/main/api/events'
import { openStore } from '../../../src/main/store'
import { reclassifyCells } from '../../../src/main/review'
import { PLAN, predict, realSlide, type SlideFixture } from './fixtures'
import { addTestUser, TEST_PASSWORD } from '../../helpers/people'

let f: SlideFixture
let dispatch: Dispatch
let lee: Principal
let ng: Principal
const events: ApiEvent[] = []
beforeAll(async () => {
  f = await realSlide(PLAN.slice(0, 6), 'SLIDE-TWO')
  const bus = createEventBus()
  bus.subscribe((e) => events.push(e))
  dispatch = createDispatch(createHandlers({ shell: 'browser', version: 't', dbPath: ':memory:', db: f.db, events: bus, jobs: {} as never, mlBackend: () => null, importRoots: null }), callersOf(f.db))
  lee = { userId: (await addTestUser(f.db, 'lee', ['verifier'])).userId }
  ng = { userId: (await addTestUser(f.db, 'ng', ['verifier'])).userId }
})
afterAll(() => f?.close())

const call = <T>(method: string, payload: unknown, as: Principal) => dispatch(method, payload, as) as Promise<Result<T>>
async function view(as: Principal): Promise<SlideGallery> {
  const g = await call<SlideGallery>('review.gallery', { slideId: f.slideId }, as)
  if (!g.ok) throw new Error(g.error.message)
  return g.value
}
const labelChanges = async () => ((await call<ReviewHistory>('review.history', { slideId: f.slideId }, lee)) as { value: ReviewHistory }).value
const announced = (): SlideChangedEvent[] => events.filter((e) => e.name === 'slide.changed').map((e) => e.payload as SlideChangedEvent)

describe('two stations on one slide', () => {
  it('announces each change and refuses one made against a stale view, changing nothing', async () => {
    const seenByLee = await view(lee)
    const seenByNg = await view(ng)
    expect(seenByNg.revision).toBe(seenByLee.revision)

    // Lee moves cell 3 (an Unidentified one) to lymphocyte: announced with the new revision.
    const moved = await call('review.reclassify', { slideId: f.slideId, cellIds: [f.ids[3]], label: 'lymphocyte', revision: seenByLee.revision }, lee)
    expect(moved.ok).toBe(true)
    const after = await view(lee)
    expect(after.revision).toBeGreaterThan(seenByLee.revision)
    expect(announced().at(-1)).toEqual({ slideId: f.slideId, revision: after.revision, change: 'reclassify', by: 'lee', userId: (lee as { userId: number }).userId })

    // Ng, still looking at the old view, calls the same cell a monocyte: refused as stale, nothing appended, nothing announced.
    const historyBefore = await labelChanges()
    const eventsBefore = announced().length
    const refused = await call('review.reclassify', { slideId: f.slideId, cellIds: [f.ids[3]], label: 'monocyte', revision: seenByNg.revision }, ng)
    expect(refused).toMatchObject({ ok: false, error: { code: 'stale', message: expect.stringMatching(/changed by someone else since you loaded it.*nothing was changed/) } })
    for (const [method, payload] of [
      ['review.accept', { slideId: f.slideId, cellIds: [f.ids[0]] }],
      ['review.undo', { slideId: f.slideId }],
      ['review.sign', { slideId: f.slideId, meaning: 'Reviewed and approved', password: TEST_PASSWORD }]
    ] as const) {
      expect(await call(method, { ...payload, revision: seenByNg.revision }, ng), method).toMatchObject({ ok: false, error: { code: 'stale' } })
    }
    expect(await labelChanges()).toEqual(historyBefore)
    expect(announced().length).toBe(eventsBefore)
    expect((await view(ng)).groups.find((g) => g.label === 'lymphocyte')!.cells.map((c) => c.id)).toContain(f.ids[3])

    // Reloaded, Ng's change goes through against the current revision.
    const fresh = await view(ng)
    expect(await call('review.reclassify', { slideId: f.slideId, cellIds: [f.ids[3]], label: 'monocyte', revision: fresh.revision }, ng)).toMatchObject({ ok: true })
  })

  it('refuses a signature and a reopening over counts the signer did not see', async () => {
    const seen = await view(lee)
    // A classification job's own connection replaces a prediction: the revision moves with it.
    const jobConnection = openStore(f.db.name)
    predict(jobConnection, f.modelId, f.ids[5]!, { label: 'monocyte', confidence: 0.95 })
    jobConnection.close()
    expect((await view(lee)).revision).toBeGreaterThan(seen.revision)
    expect(await call('review.sign', { slideId: f.slideId, meaning: 'Reviewed and approved', password: TEST_PASSWORD, revision: seen.revision }, lee)).toMatchObject({
      ok: false,
      error: { code: 'stale' }
    })
    const now = await view(lee)
    expect(await call('review.sign', { slideId: f.slideId, meaning: 'Reviewed and approved', password: TEST_PASSWORD, revision: now.revision }, lee)).toMatchObject({ ok: true })
    expect(announced().at(-1)).toMatchObject({ slideId: f.slideId, change: 'sign', by: 'lee', revision: (await view(lee)).revision })
    expect(await call('review.reopen', { slideId: f.slideId, reason: 'recount', revision: now.revision }, ng)).toMatchObject({ ok: false, error: { code: 'stale' } })
    const signed = await view(ng)
    expect(await call('review.reopen', { slideId: f.slideId, reason: 'recount', revision: signed.revision }, ng)).toMatchObject({ ok: true, value: { status: 'reopened', who: 'ng' } })
  })

  it('lets the command line (no revision sent) act on what is there, and announces lab-wide settings', async () => {
    const old = await view(lee)
    await call('review.comment', { slideId: f.slideId, text: 'look at cell 4' }, lee)
    expect(announced().at(-1)).toMatchObject({ slideId: f.slideId, change: 'comment', revision: old.revision })
    expect(reclassifyCells(f.db, { slideId: f.slideId, cellIds: [f.ids[4]!], label: 'basophil', who: 'operator' }).changed).toHaveLength(1)
    expect(await call('review.settings', { slideId: null, unidentifiedThreshold: 0.75 }, lee)).toMatchObject({ ok: true })
    expect(announced().at(-1)).toEqual({ slideId: null, revision: null, change: 'settings', by: 'lee', userId: (lee as { userId: number }).userId })
    expect((await view(lee)).revision).toBe(old.revision + 2)
  })
})
