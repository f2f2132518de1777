// The review screen's keyboard (docs/user-guide.md, "5. Review with the keys"):
// class keys reclassify, arrows / Home / End / Page keys move (Up and Down by
// the gallery's rows as they wrap on screen), Shift extends the selection,
// X / A / Ctrl+A select, Space / Z / + zoom, Esc closes or clears, Enter
// accepts the model's call, Ctrl+Z undoes, and single letters open the
// screen's tools. The keys stay out of the way while someone types, while a
// dialog is open, and on a focused button's Enter or Space; after a move the
// keyboard stays on the gallery, and it comes back there when a dialog closes.
// What the keys act on is the review store; the view hands over its own
// pieces (dialogs, zoom, the panels to focus) and stays the layout.
import { nextTick, onBeforeUnmount, onMounted, watch, type Ref } from 'vue'
import { useReviewStore } from '../stores/review'
import { nonWbcKeyFor } from '../components/review/non-wbc-keys'

export type ReviewDialog = 'sign' | 'reopen' | 'other' | 'help' | null

export interface ReviewKeyTargets {
  /** The gallery's element: where the cells are on screen (Up / Down) and which takes the focus. */
  galleryWrap: Ref<HTMLElement | null>
  dialog: Ref<ReviewDialog>
  zoomed: Ref<boolean>
  zoomScale: Ref<1 | 2>
  /** A class key (the view refuses it on a signed slide, with a notice). */
  reclassify(label: string): void
  /** S and R. */
  openSign(): void
  openReopen(): void
  /** C, E, T, I: the comment box, the exports, the threshold field, the patient and order. */
  focusComments(): void
  focusExports(): void
  focusThreshold(): void
  editOrder(): void
}

const NAV_KEYS = new Set(['ArrowRight', 'ArrowLeft', 'ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', 'PageUp', 'x', 'X', 'a', 'A'])

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null
  if (!el || !el.tagName) return false
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable
}

/** Tab inside the zoomed cell cycles through its own controls: focus never leaves for the settings behind it. */
function trapZoomTab(e: KeyboardEvent): void {
  const zoom = document.querySelector<HTMLElement>('[data-testid="zoom"]')
  if (!zoom) return
  e.preventDefault()
  const stops = [...zoom.querySelectorAll<HTMLElement>('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])')]
  if (!stops.length) return zoom.focus()
  const at = stops.indexOf(document.activeElement as HTMLElement)
  const next = at < 0 ? (e.shiftKey ? stops.length - 1 : 0) : (at + (e.shiftKey ? -1 : 1) + stops.length) % stops.length
  stops[next]!.focus()
}

/** Listens to the keys while the calling component is mounted; `focusCursor` puts the keyboard back on the cursor's cell. */
export function useReviewKeys(t: ReviewKeyTargets): { focusCursor: () => void } {
  const store = useReviewStore()
  const { galleryWrap, dialog, zoomed, zoomScale } = t

  function focusCursor(): void {
    if (store.cursor === null) return
    galleryWrap.value?.querySelector<HTMLElement>(`[data-cell="${store.cursor}"]`)?.focus()
  }

  /** The cell in the row above or below the cursor's, nearest in x (the gallery wraps, so rows depend on the window's width). */
  function moveVertical(dir: 1 | -1, extend: boolean): void {
    const root = galleryWrap.value
    const here = root?.querySelector<HTMLElement>(`[data-cell="${store.cursor}"]`)
    if (!root || !here) return store.move(dir, extend)
    const r = here.getBoundingClientRect()
    if (!r.height) return store.move(dir, extend)
    const all = [...root.querySelectorAll<HTMLElement>('[data-cell]')].map((el) => ({ el, rect: el.getBoundingClientRect() }))
    const beyond = all.filter((x) => (dir > 0 ? x.rect.top > r.top + r.height / 2 : x.rect.top < r.top - r.height / 2))
    if (!beyond.length) return
    const rowTop = dir > 0 ? Math.min(...beyond.map((x) => x.rect.top)) : Math.max(...beyond.map((x) => x.rect.top))
    const row = beyond.filter((x) => Math.abs(x.rect.top - rowTop) < 4)
    const cx = r.left + r.width / 2
    const best = row.reduce((a, b) => (Math.abs(b.rect.left + b.rect.width / 2 - cx) < Math.abs(a.rect.left + a.rect.width / 2 - cx) ? b : a))
    store.moveTo(Number(best.el.dataset.cell), extend)
  }

  function onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || store.slideId === null || !store.gallery) return
    if (dialog.value !== null || store.history) return
    if (zoomed.value && e.key === 'Tab') return trapZoomTab(e)
    if (store.pendingAccept) return
    if (isTyping(e.target)) return
    if (e.altKey) return
    const onControl = (e.target as HTMLElement | null)?.closest?.('button, a, [role="tab"]')
    if (onControl && (e.key === 'Enter' || e.key === ' ')) return
    const key = e.key
    const handled = (fn: () => void) => {
      e.preventDefault()
      fn()
      // Keep the keyboard on the gallery after moving or selecting (focus may have been on a button).
      if (NAV_KEYS.has(key)) void nextTick(focusCursor)
    }
    if (e.ctrlKey || e.metaKey) {
      if (key === 'z' || key === 'Z') handled(() => void store.undo())
      else if (key === 'a' || key === 'A') handled(() => store.selectGroup())
      return
    }
    const ck = store.classKeys.find((k) => k.key === key) ?? nonWbcKeyFor(key)
    if (ck) return handled(() => t.reclassify(ck.label))
    const cells = store.cells
    switch (key) {
      case 'ArrowRight':
        return handled(() => store.move(1, e.shiftKey))
      case 'ArrowLeft':
        return handled(() => store.move(-1, e.shiftKey))
      case 'ArrowDown':
        return handled(() => moveVertical(1, e.shiftKey))
      case 'ArrowUp':
        return handled(() => moveVertical(-1, e.shiftKey))
      case 'Home':
        return handled(() => cells[0] && store.moveTo(cells[0].id, e.shiftKey))
      case 'End':
        return handled(() => cells.length && store.moveTo(cells[cells.length - 1]!.id, e.shiftKey))
      case 'PageDown':
        return handled(() => store.moveGroup(1))
      case 'PageUp':
        return handled(() => store.moveGroup(-1))
      case ' ':
      case 'z':
      case 'Z':
        return handled(() => (zoomed.value = !zoomed.value && store.current !== null))
      case '+':
      case '=':
        // 2x in the zoomed cell (and opens the zoom at 2x when it is closed).
        return handled(() => {
          if (store.current === null) return
          if (zoomed.value) zoomScale.value = zoomScale.value === 1 ? 2 : 1
          else {
            zoomScale.value = 2
            zoomed.value = true
          }
        })
      case 'Escape':
        return handled(() => {
          if (zoomed.value) zoomed.value = false
          else store.clearSelection()
        })
      case 'x':
      case 'X':
        return handled(() => store.toggleSelected())
      case 'a':
      case 'A':
        return handled(() => store.selectGroup())
      case 'Enter':
        return handled(() => (store.signed ? undefined : void store.acceptModelCall()))
      case 'o':
      case 'O':
        return handled(() => !store.signed && store.targets.length && (dialog.value = 'other'))
      case 'h':
        return handled(() => void store.showHistory('cell'))
      case 'H':
        return handled(() => void store.showHistory('slide'))
      case 'c':
      case 'C':
        return handled(t.focusComments)
      case 's':
      case 'S':
        return handled(t.openSign)
      case 'r':
      case 'R':
        return handled(t.openReopen)
      case 'e':
      case 'E':
        return handled(t.focusExports)
      case 't':
      case 'T':
        return handled(t.focusThreshold)
      case '?':
        return handled(() => (dialog.value = 'help'))
      case 'i':
      case 'I':
        return handled(t.editOrder)
    }
  }

  // Back to the gallery when a dialog closes, so the keys work again at once.
  watch([dialog, () => store.history === null], async ([d, noHistory]) => {
    if (d === null && noHistory) {
      await nextTick()
      if (!document.activeElement || document.activeElement === document.body) focusCursor()
    }
  })

  onMounted(() => window.addEventListener('keydown', onKey))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey))

  return { focusCursor }
}
