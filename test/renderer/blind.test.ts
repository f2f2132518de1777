// @vitest-environment happy-dom
// Blind sessions over a scripted transport: the store runs a session one cell
// at a time (class and, when asked, real/generated in either order; back;
// pause), never shows the next cell sooner than a fixed delay after an answer,
// and reads the closed session's results; the full-screen stage answers from
// the keyboard and carries nothing that differs between cells but the image.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { BlindCellView, BlindResults, BlindSessionView } from '../../src/shared/synthetic'
import { setTransport } from '../../src/renderer/src/api/transport'
import { SWAP_MS, useBlindStore } from '../../src/renderer/src/stores/blind'
import BlindStage from '../../src/renderer/src/components/blind/BlindStage.vue'
import BlindResultsView from '../../src/renderer/src/components/blind/BlindResults.vue'
import { fakeTransport, ok } from './fake-transport'

const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
const session = (over: Partial<BlindSessionView> = {}): BlindSessionView => ({
  id: 4, name: 'Round 1', status: 'open', total: 3, answered: 0, askOrigin: true, classes: CLASSES, displaySize: 256, createdAt: '2026-01-01T00:00:00Z', closedAt: null, ...over
})
const ID = ['Aq3_xk9LmPz2VbN8wQe4Rt', 'Zy7-Hc1DsF5gJ0uKi6OpLa', 'Mn2bV8cX4zQ1wE9rT5yU7i']
const cell = (position: number, over: Partial<BlindCellView> = {}): BlindCellView => ({
  sessionId: 4, cellId: ID[position]!, position, total: 3, answered: position, answeredClass: null, ...over
})
const png = () => ok({ mime: 'image/png' as const, bytes: new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]) })

/** A session of three cells; answers move to the next unanswered one. */
function scripted(over: Partial<Record<string, (input: unknown) => unknown>> = {}) {
  let answered = 0
  return fakeTransport({
    'blind.next': (i) => {
      const p = (i as { position?: number }).position
      return ok(p === undefined ? cell(answered) : cell(p, { answeredClass: 'basophil' }))
    },
    'blind.cell': png,
    'blind.answer': () => {
      answered++
      return ok({ answered, total: 3, next: answered < 3 ? cell(answered) : null })
    },
    ...(over as object)
  })
}

beforeEach(() => {
  setActivePinia(createPinia())
  // happy-dom fetches nothing: decoding a blob image is not under test here.
  vi.stubGlobal('Image', undefined)
})
afterEach(() => {
  setTransport(null)
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('blind store', () => {
  it('waits for both the class and real/generated, in either order, and sends them (the expert is the session\'s user, never named in the payload)', async () => {
    vi.useFakeTimers()
    const f = scripted()
    setTransport(f.transport)
    const s = useBlindStore()
    await s.open(session())
    expect(s.shown?.view.cellId).toBe(ID[0])
    expect(s.shown?.url).toMatch(/^blob:/)
    await s.chooseClass('eosinophil')
    expect(f.calls.some((c) => c.method === 'blind.answer')).toBe(false)
    const answered = s.chooseOrigin('generated')
    await vi.advanceTimersByTimeAsync(0)
    expect(f.calls.find((c) => c.method === 'blind.answer')?.input).toEqual({ sessionId: 4, cellId: ID[0], class: 'eosinophil', origin: 'generated' })
    // The next cell is fetched, but not shown before the fixed delay.
    expect(s.shown?.view.cellId).toBe(ID[0])
    await vi.advanceTimersByTimeAsync(SWAP_MS - 20)
    expect(s.shown?.view.cellId).toBe(ID[0])
    await vi.advanceTimersByTimeAsync(40)
    await answered
    expect(s.shown?.view.cellId).toBe(ID[1])
    expect(s.pendingClass).toBeNull()
    expect(s.pendingOrigin).toBeNull()
    // Origin first this time.
    await s.chooseOrigin('real')
    const second = s.chooseClass('monocyte')
    await vi.advanceTimersByTimeAsync(SWAP_MS + 10)
    await second
    expect(f.calls.filter((c) => c.method === 'blind.answer').at(-1)?.input).toMatchObject({ class: 'monocyte', origin: 'real' })
    expect(s.active?.answered).toBe(2)
  })

  it('answers with the class alone when the session does not ask the origin, and ends when all are answered', async () => {
    vi.useFakeTimers()
    const f = scripted()
    setTransport(f.transport)
    const s = useBlindStore()
    await s.open(session({ askOrigin: false }))
    for (let i = 0; i < 3; i++) {
      const p = s.chooseClass(CLASSES[i]!)
      await vi.advanceTimersByTimeAsync(SWAP_MS + 10)
      await p
    }
    const answers = f.calls.filter((c) => c.method === 'blind.answer').map((c) => c.input)
    expect(answers).toEqual(CLASSES.slice(0, 3).map((c, i) => ({ sessionId: 4, cellId: ID[i], class: c })))
    expect(s.shown).toBeNull()
    expect(s.finished).toBe(true)
    // A key that is not a class of the session does nothing.
    await s.chooseClass('smudge')
    expect(f.calls.filter((c) => c.method === 'blind.answer')).toHaveLength(3)
  })

  it('goes back to the previous cell with its own answer, and pauses without losing the session', async () => {
    vi.useFakeTimers()
    const f = scripted({ 'blind.list': () => ok([session()]), 'datasets.list': () => ok([]) })
    setTransport(f.transport)
    const s = useBlindStore()
    await s.open(session())
    await s.chooseClass('basophil')
    const p = s.chooseOrigin('real')
    await vi.advanceTimersByTimeAsync(SWAP_MS + 10)
    await p
    const back = s.back()
    await vi.advanceTimersByTimeAsync(SWAP_MS + 10)
    await back
    expect(f.calls.at(-2)).toEqual({ method: 'blind.next', input: { sessionId: 4, position: 0 } })
    expect(s.shown?.view.position).toBe(0)
    expect(s.pendingClass).toBe('basophil')
    s.pause()
    expect(s.active).toBeNull()
    expect(s.shown).toBeNull()
  })

  it('closes a session and loads its results; creates sessions and reports refusals plainly', async () => {
    const results = { session: session({ status: 'closed' }) } as BlindResults
    const f = fakeTransport({
      'blind.close': () => ok(session({ status: 'closed', closedAt: '2026-01-02T00:00:00Z' })),
      'blind.results': () => ok(results),
      'blind.create': (i) => ((i as { realPerClass: number }).realPerClass > 100 ? { ok: false, error: { code: 'invalid_input', message: 'x', issues: [{ path: '', message: 'only 6 real basophil cells' }] } } : ok({ jobId: 'blind-1' }))
    })
    setTransport(f.transport)
    const s = useBlindStore()
    s.sessions = [session()]
    await s.close(4)
    expect(s.sessions[0]!.status).toBe('closed')
    expect(s.results).toEqual(results)
    expect(await s.create({ name: 'R2', realPerClass: 500, generatedPerClass: 10, askOrigin: true, displaySize: 256 })).toBeNull()
    expect(s.error).toBe('only 6 real basophil cells')
    // The session is rendered by a job: it appears when the job's end arrives.
    const made = s.create({ name: 'R2', realPerClass: 10, generatedPerClass: 10, askOrigin: true, displaySize: 256 })
    await new Promise((r) => setTimeout(r, 0))
    expect(f.calls.at(-1)).toMatchObject({ method: 'blind.create', input: { name: 'R2', realPerClass: 10, generatedPerClass: 10, askOrigin: true, displaySize: 256 } })
    expect(s.sessions.map((x) => x.id)).toEqual([4])
    const job = { id: 'blind-1', kind: 'blind', title: '', progress: { task: 'blind', done: 20, total: 20 }, startedAt: '', finishedAt: '', error: null } as const
    f.emit('job.finished', { ...job, state: 'succeeded', result: session({ id: 5 }) })
    expect((await made)?.id).toBe(5)
    expect(s.sessions.map((x) => x.id)).toEqual([5, 4])
    // A job that fails says why.
    const failed = s.create({ name: 'R3', realPerClass: 10, generatedPerClass: 10, askOrigin: true, displaySize: 256 })
    await new Promise((r) => setTimeout(r, 0))
    f.emit('job.finished', { ...job, state: 'failed', result: null, error: { code: 'internal', message: 'out of memory' } })
    expect(await failed).toBeNull()
    expect(s.error).toBe('out of memory')
  })
})

describe('blind invitations', () => {
  it('invites a reader by name and keeps who is invited; a refusal is shown plainly', async () => {
    const f = fakeTransport({
      'blind.invite': (i) =>
        (i as { reader: string }).reader === 'vera'
          ? { ok: false, error: { code: 'invalid_input', message: 'vera is not a reader: give them the reader role first' } }
          : ok({ sessionId: 4, readers: [{ userId: 2, name: 'rita' }, { userId: 3, name: (i as { reader: string }).reader }] })
    })
    setTransport(f.transport)
    const s = useBlindStore()
    expect(await s.invite(4, ' remy ')).toBe(true)
    expect(f.calls.at(-1)).toEqual({ method: 'blind.invite', input: { sessionId: 4, reader: 'remy' } })
    expect(s.invited[4]).toEqual(['rita', 'remy'])
    expect(await s.invite(4, 'vera')).toBe(false)
    expect(s.error).toBe('vera is not a reader: give them the reader role first')
    expect(s.invited[4]).toEqual(['rita', 'remy'])
  })
})

describe('blind stage and results', () => {
  it('answers from the keyboard: 1-5 for the class, R and G for the origin, Backspace back, Esc pause', async () => {
    const w = mount(BlindStage, {
      props: { session: session(), cell: { view: cell(1), url: 'blob:x' }, pendingClass: null, pendingOrigin: null, finished: false, error: null },
      attachTo: document.body
    })
    for (const key of ['3', '5', 'r', 'G', 'Backspace', 'Escape', '6', 'x']) window.dispatchEvent(new KeyboardEvent('keydown', { key }))
    expect(w.emitted('chooseClass')).toEqual([['basophil'], ['monocyte']])
    expect(w.emitted('chooseOrigin')).toEqual([['real'], ['generated']])
    expect(w.emitted('back')).toHaveLength(1)
    expect(w.emitted('pause')).toHaveLength(1)
    // Alt+number stays the frame's screen switch.
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '2', altKey: true }))
    expect(w.emitted('chooseClass')).toHaveLength(2)
    w.unmount()
  })

  it('shows every cell the same way: nothing of the cell but its image, position and count differ', async () => {
    const render = (c: BlindCellView) =>
      mount(BlindStage, { props: { session: session(), cell: { view: c, url: 'blob:same' }, pendingClass: null, pendingOrigin: null, finished: false, error: null } })
    const a = render(cell(0))
    const b = render(cell(2, { answered: 0 }))
    const strip = (html: string) => html.replace(/Cell \d of 3/, 'Cell N of 3')
    expect(strip(a.html())).toBe(strip(b.html()))
    for (const id of ID) expect(a.html() + b.html()).not.toContain(id)
    expect(a.find('[data-testid="blind-cell"]').attributes('alt')).toBe('Cell to classify')
    const noOrigin = mount(BlindStage, { props: { session: session({ askOrigin: false }), cell: { view: cell(0), url: 'blob:x' }, pendingClass: null, pendingOrigin: null, finished: false, error: null } })
    expect(noOrigin.text()).not.toMatch(/Real|Generated/)
    a.unmount()
    b.unmount()
    noOrigin.unmount()
  })

  it("shows the results' tiles, Table 9 per set of cells, per-class CIs, and exports the CSV", async () => {
    const prop = (s: number, t: number, low: number, high: number) => ({ successes: s, trials: t, rate: t ? s / t : null, ci95: { low, high } })
    const zero = CLASSES.map(() => CLASSES.map(() => 0))
    const diag = (n: number) => CLASSES.map((_, i) => CLASSES.map((_, j) => (i === j ? n : 0)))
    const r: BlindResults = {
      session: session({ status: 'closed', total: 20, answered: 20, closedAt: '2026-01-02T00:00:00Z' }),
      recipe: {},
      secret: null,
      readers: [],
      agreement: null,
      classes: CLASSES,
      confusion: { all: diag(4), real: diag(2), generated: diag(2) },
      accuracy: { all: prop(20, 20, 0.83, 1), real: prop(10, 10, 0.69, 1), generated: prop(9, 10, 0.55, 0.997) },
      perClass: CLASSES.map((c) => ({ class: c, real: prop(2, 2, 0.16, 1), generated: prop(2, 2, 0.16, 1) })),
      detection: { rate: prop(11, 20, 0.315, 0.769), generatedCalledGenerated: prop(5, 10, 0.187, 0.813), realCalledReal: prop(6, 10, 0.262, 0.878) },
      unanswered: 0,
      cells: [],
      csv: 'position,origin\n1,real\n'
    }
    r.confusion.generated = zero
    const w = mount(BlindResultsView, { props: { results: r }, attachTo: document.body })
    expect(w.find('[data-testid="acc-generated"]').text()).toContain('90.0%')
    expect(w.find('[data-testid="acc-generated"]').text()).toContain('9/10 · 95% CI 55.0% – 99.7%')
    expect(w.find('[data-testid="detection"]').text()).toContain('55.0%')
    expect(w.text()).toContain('consistent with chance')
    const sum = () => w.findAll('[data-testid="confusion-matrix"] tbody td.confusion-cell').reduce((a, c) => a + Number(c.text()), 0)
    expect(sum()).toBe(20)
    await w.find('input[value="generated"]').setValue(true)
    expect(sum()).toBe(0)
    const create = vi.spyOn(URL, 'createObjectURL')
    const click = vi.fn()
    const orig = HTMLAnchorElement.prototype.click
    HTMLAnchorElement.prototype.click = click
    try {
      await w.find('[data-testid="blind-export"]').trigger('click')
    } finally {
      HTMLAnchorElement.prototype.click = orig
    }
    expect(click).toHaveBeenCalledOnce()
    const blob = create.mock.calls[0]![0] as Blob
    expect(await blob.text()).toBe(r.csv)
    w.unmount()
  })
})
