// @vitest-environment happy-dom
// The review store over a scripted slide: opening loads gallery, differential
// and comments; the keys' classes; the cursor and selection; reclassification
// of one cell or a selection with auto-advance; accepting the model's calls;
// undo; settings; sign-off refused then accepted; the acting user never in a payload
// once; classifying as a job followed by its events.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { ClassifyReport, JobSnapshot } from '../../src/shared/api'
import { setTransport } from '../../src/renderer/src/api/transport'
import { useReviewStore } from '../../src/renderer/src/stores/review'
import { useSlideClassifyStore } from '../../src/renderer/src/stores/slide-classify'
import { ok } from './fake-transport'
import { EIGHT, scriptedSlide } from './review-fixtures'

beforeEach(() => {
  setActivePinia(createPinia())
  localStorage.clear()
})
afterEach(() => {
  setTransport(null)
  vi.useRealTimers()
})

async function opened(cells = EIGHT, opts: Parameters<typeof scriptedSlide>[1] = {}) {
  const slide = scriptedSlide(cells, opts)
  setTransport(slide.transport)
  const s = useReviewStore()
  await s.open(7)
  return { s, slide }
}

const inputsOf = (calls: { method: string; input: unknown }[], method: string) => calls.filter((c) => c.method === method).map((c) => c.input)

describe('review store', () => {
  it('opens a slide: groups in order, cells least confident first, the differential, the cursor on the first cell', async () => {
    const { s } = await opened()
    expect(s.groups.map((g) => `${g.label}:${g.cells.map((c) => c.id).join(',')}`)).toEqual([
      'neutrophil:2,1', 'eosinophil:', 'basophil:', 'lymphocyte:3', 'monocyte:4', 'unidentified:8,7,6,5'
    ])
    expect(s.cells.map((c) => c.id)).toEqual([2, 1, 3, 4, 8, 7, 6, 5])
    expect(s.cursor).toBe(2)
    expect(s.differential?.totalCounted).toBe(4)
    expect(s.unidentifiedCount).toBe(4)
    expect(s.classKeys.map((k) => `${k.key}=${k.label}`)).toEqual(['1=neutrophil', '2=eosinophil', '3=basophil', '4=lymphocyte', '5=monocyte', '0=unidentified'])
  })

  it('gives other labels present the keys 6-9', async () => {
    const { s } = await opened([...EIGHT, { id: 9, call: 'lymphocyte', confidence: 0.9, reviewer: 'smudge' }, { id: 10, call: 'monocyte', confidence: 0.9, reviewer: 'ig' }])
    expect(s.otherLabels).toEqual(['ig', 'smudge'])
    expect(s.classKeys.slice(6)).toEqual([{ key: '6', label: 'ig' }, { key: '7', label: 'smudge' }])
  })

  it('reclassifies the cursor cell as the signed-in user (no name in the payload) and advances to the next cell in the order being worked through', async () => {
    const { s, slide } = await opened()
    expect(await s.reclassify('lymphocyte')).toBe(true)
    expect(inputsOf(slide.calls, 'review.reclassify')).toEqual([{ slideId: 7, cellIds: [2], label: 'lymphocyte', revision: 1 }])
    // Cell 2 left neutrophil for lymphocyte; the cursor went on to cell 1, which followed it.
    expect(s.groups.find((g) => g.label === 'lymphocyte')!.cells.map((c) => c.id)).toEqual([2, 3])
    expect(s.cursor).toBe(1)
    expect(s.differential?.counted.find((r) => r.label === 'lymphocyte')?.count).toBe(2)
    expect(s.notice).toBe('1 cell → lymphocyte')
    await s.reclassify('monocyte')
    expect(inputsOf(slide.calls, 'review.reclassify')).toHaveLength(2)
  })

  it('moves, extends and toggles the selection, selects a group, and reclassifies the selection in display order', async () => {
    const { s, slide } = await opened()
    s.move(1)
    expect(s.cursor).toBe(1)
    s.move(2, true)
    expect([...s.selection]).toEqual([1, 3, 4])
    s.select(8, 'toggle')
    expect(s.selection.has(8)).toBe(true)
    s.select(1, 'toggle')
    expect([...s.selection].sort()).toEqual([3, 4, 8])
    s.move(-100)
    expect(s.cursor).toBe(2)
    s.moveGroup(1)
    expect(s.cursor).toBe(3) // first non-empty group after neutrophil: lymphocyte
    s.moveGroup(1)
    s.moveGroup(1)
    expect(s.groupOf(s.cursor!)).toBe('unidentified')
    s.selectGroup()
    expect([...s.selection]).toEqual([8, 7, 6, 5])
    expect(s.targets).toEqual([8, 7, 6, 5])
    await s.reclassify('basophil')
    expect(inputsOf(slide.calls, 'review.reclassify').at(-1)).toMatchObject({ cellIds: [8, 7, 6, 5], label: 'basophil' })
    expect(s.selection.size).toBe(0)
    expect(s.unidentifiedCount).toBe(0)
    expect(s.notice).toBe('4 cells → basophil')
  })

  it("accepts each target cell's own model call as one action that one undo takes back, and leaves unclassified cells alone", async () => {
    const { s, slide } = await opened()
    s.selectGroup('unidentified')
    await s.acceptModelCall()
    // Mixed calls (lymphocyte and eosinophil) in ONE request: before, one request per class
    // made two actions and Ctrl+Z took back only the last class.
    expect(inputsOf(slide.calls, 'review.accept')).toEqual([{ slideId: 7, cellIds: [8, 7, 6, 5], revision: 1 }])
    expect(inputsOf(slide.calls, 'review.reclassify')).toEqual([])
    expect(s.groups.find((g) => g.label === 'unidentified')!.cells.map((c) => c.id)).toEqual([8])
    expect(s.notice).toContain('1 not classified')
    await s.undo()
    expect(s.groups.find((g) => g.label === 'unidentified')!.cells.map((c) => c.id)).toEqual([8, 7, 6, 5])
    expect(s.notice).toBe('Undone: 3 cells back to Unidentified')
  })

  it('asks before accepting cells the detector flagged as non-WBC, and accepts only once confirmed', async () => {
    const slide = scriptedSlide([...EIGHT.slice(0, 7), { id: 9, call: 'lymphocyte', confidence: 0.97, flagged: true }])
    setTransport(slide.transport)
    const s = useReviewStore()
    await s.open(7)
    s.selectGroup('unidentified')
    expect(await s.acceptModelCall()).toBe(false)
    expect(s.pendingAccept).toEqual({ ids: expect.arrayContaining([5, 6, 7, 9]), flagged: 1 })
    expect(inputsOf(slide.calls, 'review.accept')).toEqual([])
    s.cancelAccept()
    expect(s.pendingAccept).toBeNull()
    expect(inputsOf(slide.calls, 'review.accept')).toEqual([])
    await s.acceptModelCall()
    expect(await s.confirmAccept()).toBe(true)
    expect(inputsOf(slide.calls, 'review.accept')).toHaveLength(1)
    expect(s.unidentifiedCount).toBe(0)
    // Cells the detector did not flag need no confirmation.
    expect(s.pendingAccept).toBeNull()
  })

  it('undoes through the core and puts the cursor on the cell that changed back', async () => {
    const { s, slide } = await opened()
    s.moveTo(4)
    await s.reclassify('neutrophil')
    expect(s.groupOf(4)).toBe('neutrophil')
    await s.undo()
    expect(inputsOf(slide.calls, 'review.undo')).toEqual([{ slideId: 7, revision: 2 }])
    expect(s.groupOf(4)).toBe('monocyte')
    expect(s.cursor).toBe(4)
    expect(s.notice).toBe('Undone: 1 cell back to monocyte')
  })

  it('changes the threshold and the target through review.settings and re-reads the gallery', async () => {
    const { s, slide } = await opened()
    await s.changeSettings({ unidentifiedThreshold: 0.45 })
    expect(inputsOf(slide.calls, 'review.settings')).toEqual([{ slideId: 7, unidentifiedThreshold: 0.45 }])
    expect(s.settings?.unidentifiedThreshold).toBe(0.45)
    expect(s.groups.find((g) => g.label === 'unidentified')!.cells.map((c) => c.id)).toEqual([8, 7])
    await s.changeSettings({ targetCount: 200 })
    expect(s.differential?.targetCount).toBe(200)
  })

  it('shows why sign-off is refused, signs once nothing is Unidentified, then reads the sign-off for the banner; reopening needs the core', async () => {
    const { s, slide } = await opened()
    expect(await s.sign('verified', 'my password')).toBeNull()
    expect(s.error).toBe('4 cells are still Unidentified')
    expect(s.signed).toBe(false)
    s.selectGroup('unidentified')
    await s.reclassify('lymphocyte')
    const r = await s.sign('verified', 'my password')
    expect(inputsOf(slide.calls, 'review.sign').at(-1)).toMatchObject({ slideId: 7, meaning: 'verified', password: 'my password', revision: expect.any(Number) })
    expect(r?.signedBy).toBe('dra')
    expect(s.signed).toBe(true)
    expect(s.signOff).toMatchObject({ who: 'dra', meaning: 'verified' })
    // Read-only: the store does not even ask.
    expect(await s.reclassify('monocyte')).toBe(false)
    expect(await s.reopen('second look')).toBe(true)
    expect(s.signed).toBe(false)
    expect(s.signOff).toBeNull()
  })

  it('adds comments about the slide or the cell', async () => {
    const { s, slide } = await opened()
    await s.addComment('smudges', 3)
    expect(inputsOf(slide.calls, 'review.comment')).toEqual([{ slideId: 7, cellId: 3, text: 'smudges' }])
    expect(s.comments.map((c) => c.text)).toEqual(['smudges'])
  })

  it('classifies the slide as a job: progress from events, then the report and a fresh gallery', async () => {
    const running: JobSnapshot = { id: 'classify-1', kind: 'classify', state: 'running', title: 'SLIDE-7', progress: { task: 'classify', done: 0, total: 8 }, startedAt: '', finishedAt: null, error: null, result: null }
    const { s, slide } = await opened(EIGHT, { extra: { 'slides.classify': () => ok({ jobId: 'classify-1' }), 'jobs.get': () => ok(running) } })
    const c = useSlideClassifyStore()
    await c.classify(7, 3)
    expect(inputsOf(slide.calls, 'slides.classify')).toEqual([{ slideId: 7, modelId: 3 }])
    expect(c.classifying).toBe(true)
    slide.emit('job.progress', { jobId: 'classify-1', kind: 'classify', progress: { task: 'classify', done: 4, total: 8, unit: 'cell' } })
    expect(c.progress?.done).toBe(4)
    const galleryCalls = inputsOf(slide.calls, 'review.gallery').length
    const report: ClassifyReport = { slideId: 7, model: { id: 3, name: 'W-Net 128' }, classified: 8, unidentified: 4, seconds: 1.2 }
    slide.emit('job.finished', { ...running, state: 'succeeded', result: report })
    await vi.waitFor(() => expect(c.report).toEqual(report))
    expect(c.classifying).toBe(false)
    expect(inputsOf(slide.calls, 'review.gallery').length).toBeGreaterThan(galleryCalls)
    expect(s.notice).toBe('8 cells classified with W-Net 128')
    // The job's listeners are gone; the open slide keeps listening for other stations' changes.
    expect(slide.listenerCount('job.progress') + slide.listenerCount('job.finished')).toBe(0)
    expect(slide.listenerCount('slide.changed')).toBe(1)
  })

  it('reloads the slide once when its classification ends, whichever of the job\'s two signals comes first, and also after a cancel', async () => {
    const running: JobSnapshot = { id: 'classify-1', kind: 'classify', state: 'running', title: 'SLIDE-7', progress: { task: 'classify', done: 0, total: 8 }, startedAt: '', finishedAt: null, error: null, result: null }
    const { slide } = await opened(EIGHT, { extra: { 'slides.classify': () => ok({ jobId: 'classify-1' }), 'jobs.get': () => ok(running) } })
    const c = useSlideClassifyStore()
    const report: ClassifyReport = { slideId: 7, model: { id: 3, name: 'W-Net 128' }, classified: 8, unidentified: 4, seconds: 1.2 }
    const galleries = () => inputsOf(slide.calls, 'review.gallery').length
    // The server's order: the slide's change, then the job's end.
    await c.classify(7)
    let before = galleries()
    slide.state.revision++
    slide.emit('slide.changed', { slideId: 7, revision: slide.state.revision, change: 'classify', by: null, userId: null })
    slide.emit('job.finished', { ...running, state: 'succeeded', result: report })
    await vi.waitFor(() => expect(c.report).toEqual(report))
    await new Promise((r) => setTimeout(r, 20))
    expect(galleries()).toBe(before + 1)
    // The other order: the job's end, then the change (while the reload it started runs).
    await c.classify(7)
    before = galleries()
    slide.state.revision++
    slide.emit('job.finished', { ...running, state: 'succeeded', result: report })
    slide.emit('slide.changed', { slideId: 7, revision: slide.state.revision, change: 'classify', by: null, userId: null })
    await new Promise((r) => setTimeout(r, 20))
    expect(galleries()).toBe(before + 1)
    // A cancelled job has no report, but what it stored is shown.
    await c.classify(7)
    before = galleries()
    slide.emit('job.finished', { ...running, state: 'cancelled', error: { code: 'cancelled', message: 'cancelled' } })
    await vi.waitFor(() => expect(galleries()).toBe(before + 1))
    // Another station classifying the slide still reloads it, also when its news comes while this screen's reload runs.
    await new Promise((r) => setTimeout(r, 20))
    before = galleries()
    slide.state.revision++
    slide.emit('slide.changed', { slideId: 7, revision: slide.state.revision, change: 'classify', by: null, userId: null })
    await vi.waitFor(() => expect(galleries()).toBe(before + 1))
    await c.classify(7)
    await new Promise((r) => setTimeout(r, 20))
    before = galleries()
    slide.emit('job.finished', { ...running, state: 'succeeded', result: report })
    slide.emit('slide.changed', { slideId: 7, revision: slide.state.revision + 5, change: 'classify', by: null, userId: null })
    await vi.waitFor(() => expect(galleries()).toBe(before + 2))
  })

  it("reloads when another station changes the slide, and says who; ignores its own changes and other slides", async () => {
    const { s, slide } = await opened()
    // Another station (Dr. B) reclassifies cell 2 on the server.
    slide.state.cells.find((c) => c.id === 2)!.reviewer = 'monocyte'
    slide.state.revision++
    const galleryCalls = inputsOf(slide.calls, 'review.gallery').length
    slide.emit('slide.changed', { slideId: 8, revision: 40, change: 'reclassify', by: 'drb', userId: 2 })
    slide.emit('slide.changed', { slideId: 7, revision: slide.state.revision, change: 'reclassify', by: 'drb', userId: 2 })
    await vi.waitFor(() => expect(s.revision).toBe(slide.state.revision))
    expect(inputsOf(slide.calls, 'review.gallery').length).toBe(galleryCalls + 1)
    expect(s.groups.find((g) => g.label === 'monocyte')!.cells.map((c) => c.id)).toContain(2)
    expect(s.notice).toBe('drb reclassified cells at another station: the slide is reloaded')
    // The event of a change this screen already shows (its own) reloads nothing.
    slide.emit('slide.changed', { slideId: 7, revision: slide.state.revision, change: 'reclassify', by: 'dra', userId: 1 })
    await new Promise((r) => setTimeout(r, 20))
    expect(inputsOf(slide.calls, 'review.gallery').length).toBe(galleryCalls + 1)
    s.close()
    expect(slide.listenerCount('slide.changed')).toBe(0)
  })

  it('never lets an earlier reload that answers late put back an older slide', async () => {
    let hold: Promise<void> | null = null
    let holding = false
    const slide = scriptedSlide(EIGHT, {
      extra: {
        'review.gallery': async () => {
          const snapshot = slide.gallery()
          if (hold) await hold
          return ok(snapshot)
        }
      } as never
    })
    setTransport(slide.transport)
    const s = useReviewStore()
    await s.open(7)
    // A reload starts (here: the order changed) whose gallery answer is slow ...
    let release!: () => void
    hold = new Promise<void>((r) => (release = r))
    holding = true
    const slow = s.setOrder('ascending')
    await new Promise((r) => setTimeout(r, 10))
    hold = null
    // ... meanwhile this screen reclassifies a cell and reloads (answered at once).
    s.setCursor(2)
    expect(await s.reclassify('monocyte')).toBe(true)
    const newest = s.revision
    release()
    await slow
    expect(holding).toBe(true)
    expect(s.revision).toBe(newest)
    expect(s.groups.find((g) => g.label === 'monocyte')!.cells.map((c) => c.id)).toContain(2)
  })

  it('shows a change refused as stale and reloads what is there now; nothing is lost silently', async () => {
    const { s, slide } = await opened()
    // Another station changed the slide and this screen has not heard yet.
    slide.state.cells.find((c) => c.id === 2)!.reviewer = 'basophil'
    slide.state.revision++
    expect(await s.reclassify('lymphocyte')).toBe(false)
    expect(inputsOf(slide.calls, 'review.reclassify')).toEqual([{ slideId: 7, cellIds: [2], label: 'lymphocyte', revision: 1 }])
    expect(s.error).toMatch(/changed by someone else since you loaded it.*nothing was changed \(reloaded\)$/)
    expect(s.revision).toBe(slide.state.revision)
    expect(s.groups.find((g) => g.label === 'basophil')!.cells.map((c) => c.id)).toEqual([2])
    // Looked at again, the reviewer's change goes through.
    s.setCursor(2)
    expect(await s.reclassify('lymphocyte')).toBe(true)
    expect(s.error).toBeNull()
    const sign = await s.sign('verified', 'pw')
    expect(sign).toBeNull() // Unidentified cells remain: a conflict, not a stale view
    expect(s.error).not.toMatch(/reloaded/)
  })

  it('says why classification could not start (no model)', async () => {
    await opened(EIGHT, { extra: { 'slides.classify': () => ({ ok: false, error: { code: 'not_found', message: 'model 9 not found' } }) } })
    const c = useSlideClassifyStore()
    await c.classify(7, 9)
    expect(c.error).toBe('model 9 not found')
    expect(c.classifying).toBe(false)
  })
})
