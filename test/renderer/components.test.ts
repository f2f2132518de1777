// @vitest-environment happy-dom
// Components over a scripted transport: the frame's navigation (links, the
// current screen, Alt+number, planned screens marked), the Import screen's
// form and report, the Slides screen's table.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { JobSnapshot } from '../../src/shared/api'
import { setTransport } from '../../src/renderer/src/api/transport'
import App from '../../src/renderer/src/App.vue'
import ImportView from '../../src/renderer/src/views/ImportView.vue'
import SlidesView from '../../src/renderer/src/views/SlidesView.vue'
import ImportReport from '../../src/renderer/src/components/ImportReport.vue'
import { REPORT, fakeTransport, ok } from './fake-transport'

const INFO = { name: 'WBC Workstation', version: '0.1.0', shell: 'browser', mlBackend: null, dbPath: '/home/lab/.config/WBC Workstation/wbc.sqlite', storeReady: true }
const SLIDE = { id: 1, sampleId: 'SLIDE-7', source: '/data/SLIDE-7', status: 'imported', cellCount: 20, model: null, createdAt: '2026-01-01T00:00:00Z' }

let pinia: ReturnType<typeof createPinia>
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  location.hash = ''
})
afterEach(() => setTransport(null))

describe('app frame', () => {
  it('offers every screen as a link, marks the current one and the planned ones', async () => {
    const f = fakeTransport({
      'session.state': () => ok({ needsSetup: false, user: { id: 1, name: 'kim', displayName: 'Kim Lab', roles: ['technologist', 'organiser'] }, idleMinutes: 30 }),
      'app.info': () => ok(INFO),
      'slides.list': () => ok([SLIDE]),
      'datasets.list': () => ok([]),
      'cells.list': () => ok({ total: 0, offset: 0, cells: [] })
    })
    setTransport(f.transport)
    const w = mount(App, { global: { plugins: [pinia] }, attachTo: document.body })
    await flushPromises()
    const links = w.findAll('nav a')
    // The screens the signed-in roles may use (no Users: not an admin).
    expect(links.map((l) => l.attributes('href'))).toEqual(['#/import', '#/slides', '#/review', '#/models', '#/synthetic', '#/blind', '#/outbox', '#/lab'])
    expect(w.find('[data-testid="signed-in"]').text()).toContain('Kim Lab')
    expect(w.find('nav a[aria-current="page"]').attributes('href')).toBe('#/slides')
    expect(w.findAll('.nav-link.planned').map((l) => l.find('.nav-title').text())).toEqual([])
    expect(w.find('[data-testid="db-path"]').text()).toBe('…/WBC Workstation/wbc.sqlite')
    expect(w.find('[data-testid="shell"]').text()).toBe('Browser mode')

    window.dispatchEvent(new KeyboardEvent('keydown', { key: '1', altKey: true }))
    await flushPromises()
    expect(w.find('h1').text()).toBe('Import')
    expect(location.hash).toBe('#/import')
    expect(document.activeElement?.textContent).toBe('Import')

    await w.find('nav a[href="#/review"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="review-picker"]').text()).toContain('SLIDE-7')
    w.unmount()
  })
})

describe('import screen', () => {
  it('starts an import of the typed folder and shows progress, then the report', async () => {
    const running: JobSnapshot = { id: 'import-1', kind: 'import', state: 'running', title: '/data/SLIDE-7', progress: { task: 'import', done: 0, total: 3 }, startedAt: '', finishedAt: null, error: null, result: null }
    const f = fakeTransport({ 'import.start': () => ok({ jobId: 'import-1' }), 'jobs.get': () => ok(running) })
    setTransport(f.transport)
    const w = mount(ImportView, { global: { plugins: [pinia] } })
    expect(w.find('[data-testid="dropzone"]').exists()).toBe(false)
    expect(w.find('[data-testid="start-import"]').attributes('disabled')).toBeDefined()
    await w.find('[data-testid="import-path"]').setValue('/data/SLIDE-7')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(f.calls.find((c) => c.method === 'import.start')?.input).toEqual({ path: '/data/SLIDE-7', keepUnknownClasses: true })
    f.emit('job.progress', { jobId: 'import-1', kind: 'import', progress: { task: 'import', done: 2, total: 3, unit: 'files' } })
    await flushPromises()
    expect(w.find('[data-testid="import-progress"]').text()).toContain('2 / 3 files')
    expect(w.find('[role="progressbar"]').attributes('aria-valuenow')).toBe('2')
    f.emit('job.finished', { ...running, state: 'succeeded', result: REPORT })
    await flushPromises()
    expect(w.find('[data-testid="import-progress"]').exists()).toBe(false)
    expect(w.find('[data-testid="count-imported"]').text()).toContain('2')
    const rows = w.findAll('[data-testid="report-table"] tbody tr')
    expect(rows).toHaveLength(1)
    expect(rows[0]!.text()).toContain('c.jpg')
    expect(rows[0]!.text()).toContain('the JPEG file is truncated')
  })

  it('takes a folder dropped on the desktop window', async () => {
    const f = fakeTransport({}, 'desktop')
    f.transport.pathForFile = () => '/media/usb/EXPORT-2026'
    setTransport(f.transport)
    const w = mount(ImportView, { global: { plugins: [pinia] } })
    const zone = w.find('[data-testid="dropzone"]')
    const drop = new Event('drop') as Event & { dataTransfer: unknown }
    drop.dataTransfer = { files: [new File([''], 'EXPORT-2026')] }
    zone.element.dispatchEvent(drop)
    await flushPromises()
    expect((w.find('[data-testid="import-path"]').element as HTMLInputElement).value).toBe('/media/usb/EXPORT-2026')
  })

  it('browses folders and uses the chosen one', async () => {
    const f = fakeTransport({
      'folders.list': (input) =>
        ok({ path: (input as { path?: string }).path ?? '/home/lab', parent: '/home', folders: [{ name: 'EXPORT', path: '/home/lab/EXPORT' }], imageFiles: 0 })
    })
    setTransport(f.transport)
    const w = mount(ImportView, { global: { plugins: [pinia] } })
    await w.find('[data-testid="browse"]').trigger('click')
    await flushPromises()
    await w.findAll('.folder-item').find((b) => b.text() === 'EXPORT/')!.trigger('click')
    await flushPromises()
    expect(f.calls.at(-1)).toEqual({ method: 'folders.list', input: { path: '/home/lab/EXPORT' } })
    const use = w.findAll('button').find((b) => b.text() === 'Use this folder')!
    await use.trigger('click')
    expect((w.find('[data-testid="import-path"]').element as HTMLInputElement).value).toBe('/home/lab/EXPORT')
    expect(w.find('[data-testid="folder-browser"]').exists()).toBe(false)
  })
})

describe('import report', () => {
  it('filters by outcome from the tiles', async () => {
    const w = mount(ImportReport, { props: { report: REPORT } })
    expect(w.findAll('tbody tr')).toHaveLength(1)
    await w.find('[data-testid="count-imported"]').trigger('click')
    expect(w.findAll('tbody tr').map((r) => r.find('td').text())).toEqual(['a.jpg', 'b.jpg'])
    await w.find('[data-testid="count-conflicts"]').trigger('click')
    expect(w.find('[data-testid="report-clean"]').exists()).toBe(true)
  })
})

describe('slides screen', () => {
  it('lists slides with status, cell count and model, and previews the selected one', async () => {
    const cells = Array.from({ length: 3 }, (_, i) => ({ id: i + 1, slideId: 1, label: null, labelSource: null, prediction: null, width: 360, height: 363, format: 'jpeg', fileName: `c${i}.jpg` }))
    const f = fakeTransport({
      'slides.list': () => ok([SLIDE, { ...SLIDE, id: 2, sampleId: 'SLIDE-8', status: 'signed', model: { id: 3, name: 'wnet-pbc-v1' } }]),
      'datasets.list': () => ok([]),
      'cells.list': () => ok({ total: 3, offset: 0, cells })
    })
    setTransport(f.transport)
    const w = mount(SlidesView, { global: { plugins: [pinia] } })
    await flushPromises()
    const rows = w.findAll('[data-testid="slides-table"] tbody tr')
    expect(rows.map((r) => r.findAll('td').slice(0, 4).map((td) => td.text()))).toEqual([
      ['SLIDE-7', 'Imported', '20', '—'],
      ['SLIDE-8', 'Signed', '20', 'wnet-pbc-v1']
    ])
    expect(f.calls.find((c) => c.method === 'cells.list')?.input).toEqual({ slideId: 1, limit: 48 })
    expect(w.findAll('[data-testid="slide-preview"] img')).toHaveLength(3)
    await rows[1]!.trigger('click')
    await flushPromises()
    expect(f.calls.filter((c) => c.method === 'cells.list').at(-1)?.input).toEqual({ slideId: 2, limit: 48 })
  })

  it('says so when there are no slides', async () => {
    setTransport(fakeTransport({ 'slides.list': () => ok([]), 'datasets.list': () => ok([]) }).transport)
    const w = mount(SlidesView, { global: { plugins: [pinia] } })
    await flushPromises()
    expect(w.find('[data-testid="no-slides"]').text()).toContain('No slides yet')
  })
})
