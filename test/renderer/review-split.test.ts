// @vitest-environment happy-dom
// The pieces the Review screen is made of: the one slide table (picking,
// opening, arrows, the empty line), the Review screen switching between its
// slide picker and the review of the slide the address names (and back to
// the last slide reviewed), the classification tools, and cell thumbnails
// getting their URLs through the cell-images store (one request per cell
// however many thumbnails show it, released after the last one goes).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { defineComponent, h, nextTick, ref } from 'vue'
import type { SlideSummary } from '../../src/shared/api'
import { setTransport } from '../../src/renderer/src/api/transport'
import SlideTable from '../../src/renderer/src/components/SlideTable.vue'
import CellThumb from '../../src/renderer/src/components/CellThumb.vue'
import ClassifyTools from '../../src/renderer/src/components/review/ClassifyTools.vue'
import ReviewView from '../../src/renderer/src/views/ReviewView.vue'
import { RELEASE_AFTER_MS, useCellImagesStore } from '../../src/renderer/src/stores/cell-images'
import { useNavStore } from '../../src/renderer/src/stores/nav'
import { fakeTransport } from './fake-transport'
import { EIGHT, scriptedSlide } from './review-fixtures'
import type { ModelSummary } from '../../src/shared/models'

let pinia: ReturnType<typeof createPinia>
let w: VueWrapper | undefined
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  location.hash = ''
})
afterEach(() => {
  w?.unmount()
  w = undefined
  setTransport(null)
  vi.useRealTimers()
})

const slide = (id: number, sampleId: string): SlideSummary => ({ id, sampleId, source: `/data/${sampleId}`, status: 'imported', cellCount: 1200, model: null, createdAt: '2026-01-01T00:00:00Z', revision: 0 })
const SLIDES = [slide(1, 'S-1'), slide(2, 'S-2'), slide(3, 'S-3')]

describe('slide table', () => {
  it('picks a row on click and Space, opens on Enter and double-click, and walks with the arrows', async () => {
    w = mount(SlideTable, { props: { slides: SLIDES, label: 'Slides', testid: 't', selectedId: 2, detailed: true }, attachTo: document.body })
    const rows = w.findAll('tbody tr')
    expect(rows.map((r) => r.find('td').text())).toEqual(['S-1', 'S-2', 'S-3'])
    expect(rows[1]!.attributes('aria-selected')).toBe('true')
    expect(rows[1]!.classes()).toContain('selected')
    expect(rows[0]!.findAll('td')).toHaveLength(6)
    expect(rows[0]!.find('[data-testid="cell-count"]').text()).toBe((1200).toLocaleString())
    await rows[0]!.trigger('click')
    await rows[2]!.trigger('keydown', { key: ' ' })
    await rows[2]!.trigger('dblclick')
    await rows[0]!.trigger('keydown', { key: 'Enter' })
    await rows[1]!.trigger('keydown', { key: 'ArrowDown' })
    expect(w.emitted('select')).toEqual([[1], [3], [3]])
    expect(w.emitted('open')).toEqual([[3], [1]])
    // The arrow moved the focus to the row it picked.
    expect(document.activeElement?.getAttribute('data-slide-row')).toBe('3')
  })

  it('as a picker: a click opens, no row is marked, four columns, and a line when there are no slides', async () => {
    w = mount(SlideTable, { props: { slides: SLIDES, label: 'Slides to review', testid: 'p', openOnClick: true, emptyText: 'none yet' } })
    await w.findAll('tbody tr')[1]!.trigger('click')
    await w.findAll('tbody tr')[1]!.trigger('dblclick')
    expect(w.emitted('open')).toEqual([[2]])
    expect(w.emitted('select')).toBeUndefined()
    expect(w.find('tbody tr').attributes('aria-selected')).toBeUndefined()
    expect(w.find('tbody tr').findAll('td')).toHaveLength(4)
    expect(w.text()).not.toContain('none yet')
    await w.setProps({ slides: [] })
    expect(w.find('tbody').text()).toBe('none yet')
  })
})

describe('review screen: picker and review', () => {
  it('shows the picker without a slide, the review of the one clicked, the picker again on All slides, and goes back to the last slide reviewed', async () => {
    const s = scriptedSlide(EIGHT)
    setTransport(s.transport)
    w = mount(ReviewView, { global: { plugins: [pinia] }, attachTo: document.body })
    await flushPromises()
    expect(w.find('[data-testid="review-picker"]').exists()).toBe(true)
    expect(s.calls.some((c) => c.method === 'review.gallery')).toBe(false)
    await w.find('[data-testid="review-picker"] tbody tr').trigger('click')
    await flushPromises()
    expect(location.hash).toBe('#/review/7')
    expect(w.find('h1').text()).toBe('SLIDE-7')
    expect(w.findAll('[data-group]').length).toBeGreaterThan(0)

    // Elsewhere and back to Review: the slide last reviewed, not the picker.
    const nav = useNavStore()
    nav.go('slides')
    nav.go('review')
    await flushPromises()
    expect(location.hash).toBe('#/review/7')
    expect(w.find('h1').text()).toBe('SLIDE-7')

    const allSlides = w.findAll('button').find((b) => b.text() === 'All slides')!
    await allSlides.trigger('click')
    await flushPromises()
    expect(location.hash).toBe('#/review')
    expect(w.find('[data-testid="review-picker"]').exists()).toBe(true)
  })
})

describe('classify tools', () => {
  it('asks for the default model or the one chosen, and offers Cancel only while classifying', async () => {
    const models = [{ id: 4, name: 'W-Net 128', isDefault: false }] as unknown as ModelSummary[]
    w = mount(ClassifyTools, { props: { models, classifying: false, disabled: false, classified: true } })
    expect(w.find('[data-testid="classify"]').text()).toBe('Classify again')
    await w.find('[data-testid="classify"]').trigger('click')
    await w.find('select').setValue('4')
    await w.find('[data-testid="classify"]').trigger('click')
    expect(w.emitted('classify')).toEqual([[undefined], [4]])
    expect(w.findAll('button').map((b) => b.text())).toEqual(['Classify again'])
    await w.setProps({ classifying: true })
    expect(w.find('[data-testid="classify"]').attributes('disabled')).toBeDefined()
    await w.findAll('button').find((b) => b.text() === 'Cancel')!.trigger('click')
    expect(w.emitted('cancel')).toHaveLength(1)
  })
})

describe('cell thumbnails', () => {
  it('ask the transport once per cell however many show it, keep the URL for a thumbnail that comes straight back, and release it after the last', async () => {
    vi.useFakeTimers()
    const f = fakeTransport({}, 'desktop')
    const asked: number[] = []
    const released: string[] = []
    f.transport.cellImageUrl = async (id) => {
      asked.push(id)
      return `blob:cell-${id}`
    }
    f.transport.releaseImageUrl = (url) => void released.push(url)
    setTransport(f.transport)
    const shown = ref([5, 5, 6])
    const Host = defineComponent({ setup: () => () => h('div', shown.value.map((id, i) => h(CellThumb, { key: `${i}-${id}`, id, alt: `cell ${id}` }))) })
    w = mount(Host, { global: { plugins: [pinia] } })
    await flushPromises()
    expect(w.findAll('img').map((i) => i.attributes('src'))).toEqual(['blob:cell-5', 'blob:cell-5', 'blob:cell-6'])
    expect(asked).toEqual([5, 6])
    // Lazy before the source is set, so a thumbnail off screen is not loaded when it mounts.
    const names = w.find('img').element.getAttributeNames()
    expect(names.indexOf('loading')).toBeGreaterThanOrEqual(0)
    expect(names.indexOf('loading')).toBeLessThan(names.indexOf('src'))

    // Cell 6 unmounts and mounts again at once (it moved to another group): same URL, no new request.
    shown.value = [5, 5]
    await flushPromises()
    shown.value = [5, 5, 6]
    // ... and shows its image in the render that mounts it (the URL is known: no render more).
    await nextTick()
    expect(w.findAll('img').map((i) => i.attributes('src'))).toEqual(['blob:cell-5', 'blob:cell-5', 'blob:cell-6'])
    await flushPromises()
    vi.advanceTimersByTime(RELEASE_AFTER_MS + 1)
    await flushPromises()
    expect(asked).toEqual([5, 6])
    expect(released).toEqual([])

    // One of cell 5's two thumbnails goes: still held. Then the other: released once the grace ends.
    shown.value = [5, 6]
    await flushPromises()
    vi.advanceTimersByTime(RELEASE_AFTER_MS + 1)
    expect(released).toEqual([])
    shown.value = [6]
    await flushPromises()
    vi.advanceTimersByTime(RELEASE_AFTER_MS + 1)
    await flushPromises()
    expect(released).toEqual(['blob:cell-5'])
    expect(useCellImagesStore().held()).toBe(1)
  })
})
