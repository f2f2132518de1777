// @vitest-environment happy-dom
// Defects found walking through a review with the keyboard (issue 11), each
// pinned here: the threshold field (empty, out of range, written twice),
// focus after Enter in the threshold and Esc from the comment box, Tab and
// digits in the zoomed cell, a key for 2x, the confirmation before accepting
// cells the detector flagged, and keys 6-9 in the help.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { setTransport } from '../../src/renderer/src/api/transport'
import ReviewView from '../../src/renderer/src/views/ReviewView.vue'
import SlidesView from '../../src/renderer/src/views/SlidesView.vue'
import HistoryDialog from '../../src/renderer/src/components/review/HistoryDialog.vue'
import type { LabelChange } from '../../src/shared/review'
import { fakeTransport, ok } from './fake-transport'
import { EIGHT, scriptedSlide, type ScriptedCell } from './review-fixtures'

let pinia: ReturnType<typeof createPinia>
let w: VueWrapper | undefined
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  localStorage.clear()
  location.hash = '#/review/7'
})
afterEach(() => {
  w?.unmount()
  w = undefined
  setTransport(null)
})

async function screen(cells: ScriptedCell[] = EIGHT) {
  const slide = scriptedSlide(cells)
  setTransport(slide.transport)
  w = mount(ReviewView, { global: { plugins: [pinia] }, attachTo: document.body })
  await flushPromises()
  return slide
}

async function key(k: string, init: KeyboardEventInit = {}, target: EventTarget = document.activeElement ?? window): Promise<void> {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }))
  await flushPromises()
}

const settingsCalls = (slide: ReturnType<typeof scriptedSlide>) => slide.calls.filter((c) => c.method === 'review.settings').map((c) => c.input)
const cursorCell = () => w!.find('.gcell.cursor').element

describe('threshold field', () => {
  it('does not store 0 when cleared, says why a value outside 0-1 is not saved, and writes a change once', async () => {
    const slide = await screen()
    const field = w!.find<HTMLInputElement>('[data-testid="threshold"]')

    // Cleared: nothing stored (it used to store 0, making every low-confidence call count).
    await field.setValue('')
    await field.trigger('change')
    expect(settingsCalls(slide)).toEqual([])
    expect(field.element.value).toBe('0.8')
    expect(w!.find('[data-testid="review-error"]').text()).toMatch(/between 0 and 1/)

    // Out of range: the field does not keep showing 1.5 as if it applied, and the reason is given.
    await field.setValue('1.5')
    await field.trigger('change')
    expect(settingsCalls(slide)).toEqual([])
    expect(field.element.value).toBe('0.8')
    expect(w!.find('[data-testid="review-error"]').text()).toMatch(/not 1\.5/)

    // Enter, then the change event the browser fires for the same edit: one write.
    field.element.focus()
    await field.setValue('0.55')
    await field.trigger('keydown', { key: 'Enter' })
    await field.trigger('change')
    await flushPromises()
    expect(settingsCalls(slide)).toEqual([{ slideId: 7, unidentifiedThreshold: 0.55 }])
    // ... and the keyboard is back on the cells, not lost on the page.
    expect(document.activeElement).toBe(cursorCell())
  })
})

describe('focus', () => {
  it('returns to the cursor cell after Esc in the comment box', async () => {
    await screen()
    await key('c')
    const box = document.activeElement as HTMLElement
    expect(box.tagName).toBe('TEXTAREA')
    await key('Escape', {}, box)
    expect(document.activeElement).toBe(cursorCell())
  })
})

describe('zoomed cell', () => {
  it('keeps Tab inside the zoom, and digits classify the cell instead of reaching the target count', async () => {
    const slide = await screen()
    ;(cursorCell() as HTMLElement).focus()
    await key('z')
    const zoom = w!.find('[data-testid="zoom"]')
    expect(zoom.exists()).toBe(true)
    for (let i = 0; i < 6; i++) {
      await key('Tab')
      expect(zoom.element.contains(document.activeElement)).toBe(true)
    }
    await key('Tab', { shiftKey: true })
    expect(zoom.element.contains(document.activeElement)).toBe(true)
    const target = w!.find<HTMLSelectElement>('[data-testid="target-count"]')
    expect(target.element.value).toBe('100')
    await key('2')
    expect(settingsCalls(slide)).toEqual([])
    expect(slide.calls.filter((c) => c.method === 'review.reclassify').map((c) => (c.input as { label: string }).label)).toEqual(['eosinophil'])
  })

  it('has a key for 2x: + switches the zoomed cell between 1x and 2x, and opens the zoom at 2x', async () => {
    await screen()
    await key('+')
    expect(w!.find('[data-testid="zoom"]').exists()).toBe(true)
    expect(w!.find('[data-testid="zoom-scale"]').attributes('aria-pressed')).toBe('true')
    await key('+')
    expect(w!.find('[data-testid="zoom-scale"]').attributes('aria-pressed')).toBe('false')
    await key('=')
    expect(w!.find('[data-testid="zoom-scale"]').attributes('aria-pressed')).toBe('true')
  })
})

describe('accepting the Unidentified group', () => {
  it('asks for confirmation when the detector flagged some cells as non-WBC, and Cancel accepts nothing', async () => {
    const slide = await screen([...EIGHT.slice(0, 7), { id: 9, call: 'lymphocyte', confidence: 0.97, flagged: true }])
    const accepts = () => slide.calls.filter((c) => c.method === 'review.accept')
    await key('PageDown')
    await key('PageDown')
    await key('PageDown')
    await key('a')
    await key('Enter')
    const dialog = w!.find('[data-testid="confirm-accept"]')
    expect(dialog.exists()).toBe(true)
    expect(dialog.text()).toMatch(/1 of the 4 cells were flagged by the detector/)
    expect(accepts()).toEqual([])
    await w!.find('[data-testid="cancel-accept"]').trigger('click')
    expect(w!.find('[data-testid="confirm-accept"]').exists()).toBe(false)
    expect(accepts()).toEqual([])
    await key('a')
    await key('Enter')
    await w!.find('[data-testid="confirm-accept-yes"]').trigger('click')
    await flushPromises()
    expect(accepts()).toHaveLength(1)
    expect(w!.find('[data-group="unidentified"] [data-testid="group-count"]').text()).toBe('0')
  })
})

describe('help', () => {
  it('lists keys 6-9 even before a slide has other labels', async () => {
    await screen()
    await key('?')
    const help = w!.find('[data-testid="help"]')
    expect(help.exists()).toBe(true)
    const keys = help.findAll('kbd').map((k) => k.text())
    expect(keys).toEqual(expect.arrayContaining(['6', '7', '8', '9', '+']))
  })
})

describe('Slides preview', () => {
  it('shows Unidentified for a cell the review puts there, not the model\'s call', async () => {
    const slide = { id: 1, sampleId: 'SLIDE-7', source: '/data/SLIDE-7', status: 'classified', cellCount: 2, model: { id: 1, name: 'W-Net' }, createdAt: '2026-01-01T00:00:00Z' }
    const cell = (id: number, call: string, confidence: number, reviewGroup: string) => ({
      id, slideId: 1, label: null, labelSource: null, prediction: { label: call, confidence, modelId: 1 }, width: 1, height: 1, format: 'jpeg', fileName: `c${id}.jpg`, reviewGroup
    })
    const f = fakeTransport({
      'slides.list': () => ok([slide]),
      'datasets.list': () => ok([]),
      'cells.list': () => ok({ total: 2, offset: 0, cells: [cell(1, 'neutrophil', 0.95, 'neutrophil'), cell(2, 'lymphocyte', 0.55, 'unidentified')] })
    })
    setTransport(f.transport)
    w = mount(SlidesView, { global: { plugins: [pinia] } })
    await flushPromises()
    expect(w.findAll('[data-testid="preview-caption"]').map((c) => c.text())).toEqual(['Neutrophil', 'Unidentified'])
  })
})

describe('audit history', () => {
  it('folds the calls accepted unchanged at sign-off into one line, lists them on request, and shows what the model said', async () => {
    const at = '2026-12-05T23:09:57Z'
    const accept = (id: number): LabelChange => ({ labelId: 100 + id, cellId: id, old: 'neutrophil', new: 'neutrophil', who: 'Dr Lee', at, source: 'reviewer', why: 'model call accepted at sign-off', action: 'accept', modelCall: { label: 'neutrophil', confidence: 0.95 } })
    const changes: LabelChange[] = [
      { labelId: 1, cellId: 1, old: 'lymphocyte', new: 'monocyte', who: 'Dr Lee', at: '2026-12-05T23:00:00Z', source: 'reviewer', why: '', action: 'reclassify', modelCall: { label: 'lymphocyte', confidence: 0.86 } },
      ...[2, 3, 4, 5].map(accept)
    ]
    w = mount(HistoryDialog, {
      props: { view: { scope: 'slide', cellId: null, history: { changes, signOffs: [] } }, sampleId: 'S-1', cellName: null, fileNames: new Map() },
      attachTo: document.body
    })
    await flushPromises()
    const rows = () => w!.findAll('[data-testid="history-table"] tbody tr')
    expect(rows()).toHaveLength(1)
    expect(rows()[0]!.text()).toContain('Lymphocyte → Monocyte')
    expect(rows()[0]!.find('[data-testid="history-model"]').text()).toBe('Lymphocyte 86%')
    expect(w.find('[data-testid="history-accepted"]').text()).toMatch(/4 model calls accepted unchanged at sign-off by Dr Lee/)
    await w.find('[data-testid="history-show-accepted"]').setValue(true)
    expect(rows()).toHaveLength(5)
  })
})
