// @vitest-environment happy-dom
// The review screen over a scripted slide: the gallery shows groups, counts and
// each cell's confidence; the keys reclassify (1-5, 0), move, select, zoom,
// undo, open help, history and sign-off; sign-off says why it is refused; the
// signed slide is read-only with a banner; clicks and drops reclassify too.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { setTransport } from '../../src/renderer/src/api/transport'
import ReviewView from '../../src/renderer/src/views/ReviewView.vue'
import ReviewGallery from '../../src/renderer/src/components/review/ReviewGallery.vue'
import DifferentialPanel from '../../src/renderer/src/components/review/DifferentialPanel.vue'
import SignOffDialog from '../../src/renderer/src/components/review/SignOffDialog.vue'
import { useReviewStore } from '../../src/renderer/src/stores/review'
import { EIGHT, scriptedSlide } from './review-fixtures'
import { useSessionStore } from '../../src/renderer/src/stores/session'

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

async function screen() {
  const slide = scriptedSlide(EIGHT)
  setTransport(slide.transport)
  // A verifier is signed in: the screen offers signing only to roles that may sign.
  await useSessionStore().load()
  w = mount(ReviewView, { global: { plugins: [pinia] }, attachTo: document.body })
  await flushPromises()
  return { slide, store: useReviewStore() }
}

async function key(k: string, init: KeyboardEventInit = {}): Promise<void> {
  window.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init }))
  await flushPromises()
}

const count = (label: string) => Number(w!.find(`[data-group="${label}"] [data-testid="group-count"]`).text())
const cursorId = () => Number(w!.find('.gcell.cursor').attributes('data-cell'))

describe('review screen', () => {
  it('shows the slide from the address: groups with counts, confidence on each cell, the differential', async () => {
    await screen()
    expect(w!.find('h1').text()).toBe('SLIDE-7')
    expect(w!.findAll('[data-group]').map((g) => g.attributes('data-group'))).toEqual(['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte', 'unidentified'])
    expect(count('neutrophil')).toBe(2)
    expect(count('unidentified')).toBe(4)
    expect(w!.findAll('[data-group="neutrophil"] [data-testid="confidence"]').map((c) => c.text())).toEqual(['85%', '95%'])
    expect(w!.find('[data-cell="8"] [data-testid="confidence"]').text()).toBe('—')
    expect(w!.find('[data-testid="total-counted"]').text()).toBe('4')
    expect(w!.find('[data-testid="target-state"]').text()).toBe('96 to target 100')
    expect(w!.find('[data-testid="report-status"]').text()).toBe('preliminary')
  })

  it('reclassifies with number keys and auto-advances; arrows move; Ctrl+Z undoes', async () => {
    const { slide } = await screen()
    expect(cursorId()).toBe(2)
    await key('4')
    expect(slide.calls.filter((c) => c.method === 'review.reclassify').map((c) => c.input)).toEqual([{ slideId: 7, cellIds: [2], label: 'lymphocyte', revision: 1 }])
    expect(count('lymphocyte')).toBe(2)
    expect(count('neutrophil')).toBe(1)
    expect(cursorId()).toBe(1)
    expect(w!.find('[data-testid="review-notice"]').text()).toBe('1 cell → lymphocyte')
    await key('ArrowRight')
    await key('ArrowRight')
    expect(cursorId()).toBe(3)
    await key('0')
    expect(count('unidentified')).toBe(5)
    await key('z', { ctrlKey: true })
    expect(count('unidentified')).toBe(4)
    expect(slide.calls.filter((c) => c.method === 'review.undo')).toHaveLength(1)
  })

  it('selects with Shift+arrows and with A (the whole group) and classifies the selection at once', async () => {
    const { slide } = await screen()
    await key('ArrowRight', { shiftKey: true })
    expect(w!.findAll('.gcell.selected').map((c) => Number(c.attributes('data-cell')))).toEqual([2, 1])
    expect(w!.find('[data-testid="selection-count"]').text()).toBe('2 selected')
    await key('Escape')
    expect(w!.findAll('.gcell.selected')).toHaveLength(0)
    await key('PageDown')
    await key('PageDown')
    await key('PageDown')
    await key('a')
    expect(w!.findAll('.gcell.selected').map((c) => Number(c.attributes('data-cell')))).toEqual([8, 7, 6, 5])
    await key('5')
    expect(slide.calls.filter((c) => c.method === 'review.reclassify').at(-1)?.input).toMatchObject({ cellIds: [8, 7, 6, 5], label: 'monocyte' })
    expect(count('monocyte')).toBe(5)
    expect(count('unidentified')).toBe(0)
  })

  it('zooms with Space (full-size image, probabilities) and closes with Esc; ? shows the keys', async () => {
    await screen()
    await key(' ')
    const zoom = w!.find('[data-testid="zoom"]')
    expect(zoom.exists()).toBe(true)
    expect(zoom.text()).toContain('cell-2.jpg')
    expect(zoom.find('img').attributes('style')).toContain('width: 360px')
    await key('Escape')
    expect(w!.find('[data-testid="zoom"]').exists()).toBe(false)
    await key('?')
    expect(document.body.querySelector('[data-testid="help"]')?.textContent).toContain('Lymphocyte')
  })

  it('refuses sign-off while Unidentified cells remain and shows why; signs after; the signed slide is read-only with a banner', async () => {
    const { slide } = await screen()
    await key('s')
    const dialog = () => document.body.querySelector('[data-testid="sign-dialog"]')
    expect(dialog()?.querySelector('[data-testid="sign-blocked"]')?.textContent).toContain('4 cells are Unidentified')
    expect((dialog()?.querySelector('[data-testid="sign-submit"]') as HTMLButtonElement).disabled).toBe(true)
    // Keys typed in the dialog stay there.
    dialog()!.querySelector('[role="dialog"]')?.dispatchEvent(new KeyboardEvent('keydown', { key: '4', bubbles: true }))
    dialog()!.dispatchEvent(new KeyboardEvent('keydown', { key: '4', bubbles: true }))
    await flushPromises()
    expect(slide.calls.filter((c) => c.method === 'review.reclassify')).toHaveLength(0)
    dialog()!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await flushPromises()
    expect(dialog()).toBeNull()

    slide.state.cells.forEach((c) => (c.reviewer = c.call ?? 'lymphocyte'))
    await useReviewStore().refresh()
    await flushPromises()
    await key('s')
    expect(dialog()?.querySelector('[data-testid="sign-blocked"]')).toBeNull()
    // No password, no signature.
    expect((dialog()!.querySelector('[data-testid="sign-submit"]') as HTMLButtonElement).disabled).toBe(true)
    const pw = dialog()!.querySelector('[data-testid="sign-password"]') as HTMLInputElement
    pw.value = 'my password'
    pw.dispatchEvent(new Event('input'))
    await flushPromises()
    ;(dialog()!.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit', { cancelable: true }))
    await flushPromises()
    expect(slide.calls.filter((c) => c.method === 'review.sign').map((c) => c.input)).toEqual([{ slideId: 7, meaning: 'Differential reviewed and verified', password: 'my password', revision: expect.any(Number) }])
    expect(w!.find('[data-testid="signed-banner"]').text()).toContain('by dra')
    expect(w!.find('[data-testid="report-status"]').text()).toBe('final')
    await key('1')
    expect(slide.calls.filter((c) => c.method === 'review.reclassify')).toHaveLength(0)
    expect(w!.find('[data-testid="statusline"]').text()).toContain('reopen the slide to change it')
  })
})

describe('review gallery', () => {
  const slide = scriptedSlide(EIGHT)
  const groups = slide.gallery().groups
  const props = { groups, cursor: 2, selection: new Set([3]), classKeys: [{ key: '1', label: 'neutrophil' }], readonly: false, threshold: 0.8 }

  it('reports plain, ctrl and shift clicks and double-click zoom', async () => {
    const g = mount(ReviewGallery, { props })
    expect(g.find('[data-cell="2"]').classes()).toContain('cursor')
    expect(g.find('[data-cell="3"]').classes()).toContain('selected')
    expect(g.find('[data-cell="5"]').classes()).toContain('low')
    await g.find('[data-cell="1"]').trigger('click')
    await g.find('[data-cell="1"]').trigger('click', { ctrlKey: true })
    await g.find('[data-cell="4"]').trigger('click', { shiftKey: true })
    await g.find('[data-cell="4"]').trigger('dblclick')
    expect(g.emitted('select')).toEqual([[1, 'single'], [1, 'toggle'], [4, 'range']])
    expect(g.emitted('zoom')).toEqual([[4]])
    g.unmount()
  })

  it('drags the selection (or the dragged cell) onto a group', async () => {
    const g = mount(ReviewGallery, { props })
    const data = new Map<string, string>()
    const dataTransfer = { setData: (t: string, v: string) => data.set(t, v), getData: (t: string) => data.get(t) ?? '', get types() { return [...data.keys()] }, effectAllowed: '', dropEffect: '' }
    await g.find('[data-cell="3"]').trigger('dragstart', { dataTransfer })
    await g.find('[data-group="basophil"]').trigger('dragover', { dataTransfer })
    expect(g.find('[data-group="basophil"]').classes()).toContain('drop-over')
    await g.find('[data-group="basophil"]').trigger('drop', { dataTransfer })
    data.clear()
    await g.find('[data-cell="7"]').trigger('dragstart', { dataTransfer })
    await g.find('[data-group="monocyte"]').trigger('drop', { dataTransfer })
    expect(g.emitted('drop')).toEqual([['basophil', [3]], ['monocyte', [7]]])
    g.unmount()
  })

  it('takes no drops on a signed slide', async () => {
    const g = mount(ReviewGallery, { props: { ...props, readonly: true } })
    expect(g.find('[data-cell="2"]').attributes('draggable')).toBe('false')
    const dataTransfer = { getData: () => '[2]', types: ['application/x-wbc-cells'] }
    await g.find('[data-group="basophil"]').trigger('drop', { dataTransfer })
    expect(g.emitted('drop')).toBeUndefined()
    g.unmount()
  })
})

describe('differential and sign-off parts', () => {
  it('shows count, percent and CI per class, the total and the target, and changes the target', async () => {
    const d = scriptedSlide(EIGHT).differential()
    const p = mount(DifferentialPanel, { props: { differential: { ...d, counted: d.counted.map((r) => (r.label === 'neutrophil' ? { ...r, ciLow: 19.4, ciHigh: 93.2 } : r)) }, readonly: false } })
    const row = p.find('tr[data-class="neutrophil"]')
    expect(row.find('[data-testid="diff-count"]').text()).toBe('2')
    expect(row.find('[data-testid="diff-percent"]').text()).toBe('50.0')
    expect(row.find('.ci-text').text()).toBe('19.4–93.2')
    expect(p.find('[data-testid="diff-unidentified"]').text()).toBe('Unidentified 4')
    await p.find('[data-testid="target-count"]').setValue('200')
    expect(p.emitted('target')).toEqual([[200]])
    p.unmount()
  })

  it('sign-off: the signed-in signer, meaning and the time are shown; Sign is refused with Unidentified cells', async () => {
    const d = scriptedSlide(EIGHT).differential()
    const dlg = mount(SignOffDialog, { props: { sampleId: 'SLIDE-7', reviewer: 'Dr. A', differential: d, unidentified: 0, error: null, busy: false }, attachTo: document.body })
    expect(document.body.querySelector('[data-testid="sign-who"]')?.textContent).toBe('Dr. A')
    expect(document.body.querySelector('[data-testid="sign-time"]')?.textContent).not.toBe('')
    expect(document.body.querySelector('[data-testid="sign-target-warning"]')?.textContent).toContain('target of 100 is not reached')
    await dlg.setProps({ unidentified: 2 })
    expect(document.body.querySelector('[data-testid="sign-blocked"]')?.textContent).toContain('2 cells are Unidentified')
    expect((document.body.querySelector('[data-testid="sign-submit"]') as HTMLButtonElement).disabled).toBe(true)
    dlg.unmount()
  })
})
