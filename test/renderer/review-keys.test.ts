// @vitest-environment happy-dom
// The review keys on their own (composables/review-keys.ts), in a bare host
// component over a scripted slide: what each kind of key reaches (the store,
// the view's own pieces), when the keys stay out of the way, and that they go
// with the component. The whole screen's keys: review-screen.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { setTransport } from '../../src/renderer/src/api/transport'
import { useReviewStore } from '../../src/renderer/src/stores/review'
import { useReviewKeys, type ReviewDialog } from '../../src/renderer/src/composables/review-keys'
import { EIGHT, scriptedSlide } from './review-fixtures'

let pinia: ReturnType<typeof createPinia>
let w: VueWrapper | undefined
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  localStorage.clear()
})
afterEach(() => {
  w?.unmount()
  w = undefined
  setTransport(null)
})

async function host() {
  const slide = scriptedSlide(EIGHT)
  setTransport(slide.transport)
  const store = useReviewStore()
  await store.open(7)
  const dialog = ref<ReviewDialog>(null)
  const zoomed = ref(false)
  const zoomScale = ref<1 | 2>(1)
  const view = {
    reclassify: vi.fn(),
    openSign: vi.fn(),
    openReopen: vi.fn(),
    focusComments: vi.fn(),
    focusExports: vi.fn(),
    focusThreshold: vi.fn(),
    editOrder: vi.fn()
  }
  const Host = defineComponent({
    setup() {
      const galleryWrap = ref<HTMLElement | null>(null)
      useReviewKeys({ galleryWrap, dialog, zoomed, zoomScale, ...view })
      return () => h('div', { ref: galleryWrap }, [h('input', { 'data-testid': 'field' })])
    }
  })
  w = mount(Host, { global: { plugins: [pinia] }, attachTo: document.body })
  await flushPromises()
  return { slide, store, dialog, zoomed, zoomScale, view }
}

async function key(k: string, init: KeyboardEventInit = {}, target: EventTarget = window): Promise<KeyboardEvent> {
  const e = new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init })
  target.dispatchEvent(e)
  await flushPromises()
  return e
}

describe('review keys', () => {
  it('hands class keys to the view, moves the store\'s cursor, undoes through the store', async () => {
    const { store, view, slide } = await host()
    const e = await key('4')
    expect(e.defaultPrevented).toBe(true)
    expect(view.reclassify).toHaveBeenCalledWith('lymphocyte')
    expect(store.cursor).toBe(2)
    await key('ArrowRight')
    expect(store.cursor).toBe(1)
    await key('End')
    expect(store.cursor).toBe(5)
    await key('x')
    expect([...store.selection]).toEqual([5])
    await key('Escape')
    expect(store.selection.size).toBe(0)
    await key('z', { ctrlKey: true })
    expect(slide.calls.filter((c) => c.method === 'review.undo')).toHaveLength(1)
  })

  it('zooms, switches to 2x, opens help, and reaches the view\'s tools by letter', async () => {
    const { zoomed, zoomScale, dialog, view } = await host()
    await key(' ')
    expect(zoomed.value).toBe(true)
    await key('+')
    expect(zoomScale.value).toBe(2)
    await key('Escape')
    expect(zoomed.value).toBe(false)
    for (const k of ['s', 'r', 'c', 'e', 't', 'i']) await key(k)
    expect([view.openSign, view.openReopen, view.focusComments, view.focusExports, view.focusThreshold, view.editOrder].map((f) => f.mock.calls.length)).toEqual([1, 1, 1, 1, 1, 1])
    await key('?')
    expect(dialog.value).toBe('help')
  })

  it('stays out of the way while a dialog is open, while typing, with Alt, and once the component is gone', async () => {
    const { view, dialog } = await host()
    dialog.value = 'sign'
    expect((await key('4')).defaultPrevented).toBe(false)
    dialog.value = null
    await key('4', {}, w!.find('[data-testid="field"]').element)
    await key('4', { altKey: true })
    expect(view.reclassify).not.toHaveBeenCalled()
    w!.unmount()
    w = undefined
    await key('4')
    expect(view.reclassify).not.toHaveBeenCalled()
  })
})
