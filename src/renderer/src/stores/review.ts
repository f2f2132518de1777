// One slide under review: its gallery (cells grouped by class, ordered by the
// model's confidence), the live differential, comments, audit history,
// sign-off and exports. The cell cursor and selection are a composable
// (cell-cursor.ts); classifying the slide is its own store (slide-classify.ts),
// whose report this store follows to refresh. Talks only to the API contract;
// every change goes through the review core and the screen re-reads what the
// core says, so the gallery and the differential never drift from the store.
// Several stations may review one slide (a lab server): every change is sent
// with the slide revision this screen shows, a change another station made
// meanwhile makes the core refuse it as `stale` (the screen says so and
// reloads), and another station's change arrives as a slide.changed event
// that reloads the slide here.
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { Result, SlideChangedEvent } from '../../../shared/api'
import { WBC_CLASSES } from '../../../shared/cells'
import {
  UNIDENTIFIED,
  type ReportFormat,
  type ReviewComment,
  type ReviewHistory,
  type SignOffEvent,
  type SignOffResult,
  type SlideDifferential,
  type SlideExport,
  type SlideGallery,
  type TargetCount
} from '../../../shared/review'
import { useTransport } from '../api/transport'
import { useCellCursor } from './cell-cursor'
import { messageOf } from './result-message'
import { useSessionStore } from './session'
import { useSlideClassifyStore } from './slide-classify'

export { POLL_MS } from '../api/job-watch'
export type { SelectMode } from './cell-cursor'

/** A key that reclassifies, and the class it gives. */
export interface ClassKey {
  key: string
  label: string
}

export interface HistoryView {
  scope: 'cell' | 'slide'
  cellId: number | null
  history: ReviewHistory
}

const isStale = (r: Result<unknown>): boolean => !r.ok && r.error.code === 'stale'

/** How another station's change reads in the status line. */
const CHANGE_WORDS: Record<SlideChangedEvent['change'], string> = {
  reclassify: 'reclassified cells',
  accept: "accepted the model's calls",
  undo: 'undid a reclassification',
  sign: 'signed the slide',
  reopen: 'reopened the slide',
  classify: 'classified the slide',
  settings: 'changed the review settings',
  comment: 'added a comment'
}

export const useReviewStore = defineStore('review', () => {
  const slideId = ref<number | null>(null)
  const gallery = ref<SlideGallery | null>(null)
  const differential = ref<SlideDifferential | null>(null)
  const comments = ref<ReviewComment[]>([])
  const history = ref<HistoryView | null>(null)
  /** The sign-off in force while the slide is signed (for the read-only banner). */
  const signOff = ref<SignOffEvent | null>(null)
  /** Every signature in force: the first, then the second verification when there is one. */
  const signatures = ref<SignOffEvent[]>([])
  const order = ref<'ascending' | 'descending'>('ascending')
  /** Who is reviewing: the signed-in user (the core records the session's user, never a typed name). */
  const reviewer = computed(() => useSessionStore().user?.displayName ?? '')
  const loading = ref(false)
  const busy = ref(false)
  const error = ref<string | null>(null)
  /** The last thing done, for the status line (and screen readers). */
  const notice = ref<string | null>(null)

  // -------------------------------------------------------------------------
  // Derived

  const groups = computed(() => gallery.value?.groups ?? [])
  /** The slide revision on screen: every change is sent with it. */
  const revision = computed(() => gallery.value?.revision)
  /** Counts the classifications of the open slide whose reload has ended (their calls are on screen). */
  const classifiedShown = ref(0)
  const cellCursor = useCellCursor(groups)
  const { cursor, cells, targets, has, clearSelection, cellAfter } = cellCursor
  const signed = computed(() => gallery.value?.signed ?? false)
  /** Signed, and the slide's settings ask a second, different verifier who has not signed yet: the report is still preliminary. */
  const awaitingSecond = computed(() => signed.value && !!gallery.value?.settings.secondVerification && !signatures.value.some((s) => s.verification === 2))
  const settings = computed(() => gallery.value?.settings ?? null)
  const unidentifiedCount = computed(() => groups.value.find((g) => g.label === UNIDENTIFIED)?.cells.length ?? 0)
  /** Other labels present on the slide (not the five, not Unidentified), in gallery order. */
  const otherLabels = computed(() => groups.value.map((g) => g.label).filter((l) => l !== UNIDENTIFIED && !(WBC_CLASSES as readonly string[]).includes(l)))
  /** 1-5 the five classes (src/shared/cells order), 0 Unidentified, 6-9 the first other labels present. */
  const classKeys = computed<ClassKey[]>(() => [
    ...WBC_CLASSES.map((label, i) => ({ key: String(i + 1), label })),
    { key: '0', label: UNIDENTIFIED },
    ...otherLabels.value.slice(0, 4).map((label, i) => ({ key: String(i + 6), label }))
  ])

  // -------------------------------------------------------------------------
  // Loading

  /** Which refresh is the latest: another station's change and this screen's own may reload at once. */
  let refreshes = 0

  async function refresh(): Promise<void> {
    const id = slideId.value
    if (id === null) return
    const seq = ++refreshes
    const { api } = useTransport()
    const [g, d] = await Promise.all([api['review.gallery']({ slideId: id, order: order.value }), api['review.differential']({ slideId: id })])
    // The sign-off is fetched before anything is assigned, so a signed slide never shows its
    // banner without who signed it (the banner and its signer change in one render).
    let inForce: SignOffEvent[] = []
    if (g.ok && g.value.signed) {
      const h = await api['review.history']({ slideId: id })
      // The signatures since the last reopening: the first, and the second verification if any.
      const log = h.ok ? h.value.signOffs : []
      const lastReopen = log.map((s) => s.status).lastIndexOf('reopened')
      inForce = log.slice(lastReopen + 1).filter((s) => s.status === 'signed')
    }
    // Only the latest reload is shown: an earlier one answering late would put back an older slide.
    if (slideId.value !== id || seq !== refreshes) return
    if (g.ok) gallery.value = g.value
    if (d.ok) differential.value = d.value
    signatures.value = inForce
    signOff.value = inForce[0] ?? null
    const failed = !g.ok ? g : !d.ok ? d : null
    if (failed) error.value = messageOf(failed)
    cellCursor.keepToCells()
  }

  async function loadComments(): Promise<void> {
    if (slideId.value === null) return
    const r = await useTransport().api['review.comments']({ slideId: slideId.value })
    if (r.ok) comments.value = r.value
  }

  let unlisten: (() => void) | null = null

  /** Another station (or a job) changed a slide: reload it if it is the one on screen and this screen is behind. */
  async function onSlideChanged(e: SlideChangedEvent): Promise<void> {
    const id = slideId.value
    if (id === null || (e.slideId !== null && e.slideId !== id)) return
    const mine = e.userId !== null && e.userId === useSessionStore().user?.id
    if (e.change === 'comment') {
      if (!mine) await loadComments()
      return
    }
    // This screen's own classification of the slide: the job's end reloads it
    // (below), once, and the job's two signals (this event, its end) arrive
    // together; a second reload would queue behind the first and hold the
    // gallery back. Should that reload show an older revision than this event's
    // (another station's classification), it reloads again.
    if (e.change === 'classify' && ((classifyStore.classifying && classifyStore.slideId === id) || (classifiedReload !== null && classifiedReload === refreshes))) {
      skippedRevision = Math.max(skippedRevision, e.revision ?? Number.MAX_SAFE_INTEGER)
      return
    }
    if (e.revision !== null && gallery.value && e.revision <= gallery.value.revision) return
    // This screen's own change in flight reloads the slide itself when it is answered.
    if (mine && busy.value) return
    await refresh()
    if (e.by && !mine) notice.value = `${e.by} ${CHANGE_WORDS[e.change]} at another station: the slide is reloaded`
  }

  /** Refused because the slide moved on: say so, and show what is there now. */
  async function staleRefusal(r: Result<unknown>): Promise<void> {
    error.value = `${messageOf(r)} (reloaded)`
    await refresh()
  }

  async function open(id: number): Promise<void> {
    unlisten ??= useTransport().on('slide.changed', (e) => void onSlideChanged(e))
    if (slideId.value !== id) {
      gallery.value = null
      differential.value = null
      comments.value = []
      history.value = null
      cellCursor.reset()
      useSlideClassifyStore().reset()
    }
    slideId.value = id
    error.value = null
    notice.value = null
    loading.value = true
    try {
      await Promise.all([refresh(), loadComments()])
    } finally {
      loading.value = false
    }
  }

  function close(): void {
    unlisten?.()
    unlisten = null
    slideId.value = null
    gallery.value = null
    differential.value = null
  }

  async function setOrder(o: 'ascending' | 'descending'): Promise<void> {
    order.value = o
    await refresh()
  }

  /** Runs a review action (kept as one place to add a pre-check; the acting user comes from the session). */
  async function asReviewer<T>(action: () => Promise<T>): Promise<T | undefined> {
    return action()
  }

  // -------------------------------------------------------------------------
  // Review actions

  /**
   * One change of labels through the core (reclassify, accept, undo), with
   * the slide revision on screen: busy while it runs; a stale refusal reloads
   * and says so; another refusal is shown (and, with `reloadOnRefusal`, the
   * screen re-reads). Done, the status line says what changed, the screen
   * re-reads, and the cursor goes where `done` says (if that cell is still
   * there).
   */
  async function changeLabels<T>(
    call: (slideId: number, revision: number | undefined) => Promise<Result<T>>,
    done: (value: T) => { notice: string; cursor: number | null; clearSelection: boolean },
    opts: { reloadOnRefusal?: boolean } = {}
  ): Promise<boolean> {
    const id = slideId.value
    if (id === null) return false
    busy.value = true
    try {
      const r = await call(id, revision.value)
      if (isStale(r)) {
        await staleRefusal(r)
        return false
      }
      if (!r.ok) {
        error.value = messageOf(r)
        if (opts.reloadOnRefusal) await refresh()
        return false
      }
      error.value = null
      const after = done(r.value)
      notice.value = after.notice
      if (after.clearSelection) clearSelection()
      await refresh()
      if (after.cursor !== null && has(after.cursor)) cursor.value = after.cursor
      return true
    } finally {
      busy.value = false
    }
  }

  /**
   * Gives the target cells (the selection, else the cursor's cell) a class and
   * moves the cursor on to the next cell to look at (auto-advance: the next
   * cell in the order the reviewer was working through).
   */
  async function reclassify(label: string, ids: readonly number[] = targets.value): Promise<boolean> {
    if (slideId.value === null || !ids.length || signed.value) return false
    const chosen = [...ids]
    const next = cellAfter(chosen)
    const shown = label === UNIDENTIFIED ? 'Unidentified' : label
    return changeLabels(
      (id, rev) => useTransport().api['review.reclassify']({ slideId: id, cellIds: chosen, label, revision: rev }),
      (v) => {
        const moved = v.changed.length
        return {
          notice: moved
            ? `${moved} cell${moved === 1 ? '' : 's'} → ${shown}${v.unchanged.length ? ` (${v.unchanged.length} already ${shown})` : ''}`
            : `Already ${shown}: nothing changed`,
          cursor: next,
          clearSelection: true
        }
      }
    )
  }

  /**
   * Cells waiting for the reviewer to confirm accepting the model's call,
   * because the detector flagged some of them as not a white cell at all
   * (an accept would count a platelet clump or a smudge as a leukocyte).
   */
  const pendingAccept = ref<{ ids: number[]; flagged: number } | null>(null)

  /**
   * Lets the model's own call stand for the target cells (e.g. Unidentified
   * cells under the threshold the reviewer agrees with): each cell gets its
   * model's class, all in ONE reviewer action, so one undo takes it all back.
   * When the detector flagged any of them as non-WBC, nothing happens until
   * the reviewer confirms (confirmAccept) or cancels (cancelAccept).
   */
  async function acceptModelCall(ids: readonly number[] = targets.value, opts: { confirmed?: boolean } = {}): Promise<boolean> {
    if (slideId.value === null || !ids.length || signed.value) return false
    const chosen = cells.value.filter((c) => ids.includes(c.id))
    const called = chosen.filter((c) => c.prediction)
    if (!called.length) {
      notice.value = chosen.length === 1 ? 'No model call to accept: this cell is not classified' : 'No model calls to accept: classify the slide first'
      return false
    }
    const flagged = called.filter((c) => c.basis === 'model-unidentified').length
    if (flagged && !opts.confirmed) {
      pendingAccept.value = { ids: [...ids], flagged }
      return false
    }
    pendingAccept.value = null
    const calls = [...new Set(called.map((c) => c.prediction!.label))]
    const idList = [...ids]
    const next = cellAfter(idList)
    return changeLabels(
      (id, rev) => useTransport().api['review.accept']({ slideId: id, cellIds: idList, revision: rev }),
      (v) => {
        const moved = v.changed.length
        const uncalled = v.uncalled.length
        return {
          notice: `Model's call accepted for ${moved} cell${moved === 1 ? '' : 's'}${calls.length > 1 ? ` (${calls.join(', ')})` : ` → ${calls[0]}`}${uncalled ? `; ${uncalled} not classified, left as they are` : ''}`,
          cursor: next,
          clearSelection: true
        }
      },
      { reloadOnRefusal: true }
    )
  }

  async function confirmAccept(): Promise<boolean> {
    const p = pendingAccept.value
    if (!p) return false
    return acceptModelCall(p.ids, { confirmed: true })
  }

  function cancelAccept(): void {
    pendingAccept.value = null
  }

  /** Takes the reviewer's last change back; the cursor goes to the first cell that changed back. */
  async function undo(): Promise<boolean> {
    if (slideId.value === null || signed.value) return false
    return changeLabels(
      (id, rev) => useTransport().api['review.undo']({ slideId: id, revision: rev }),
      (v) => {
        const n = v.changed.length
        const back = [...new Set(v.changed.map((c) => (c.new === 'unidentified cell' || c.new === UNIDENTIFIED ? 'Unidentified' : c.new)))].join(', ')
        return { notice: n ? `Undone: ${n} cell${n === 1 ? '' : 's'} back to ${back}` : 'Nothing to undo', cursor: v.changed[0]?.cellId ?? null, clearSelection: false }
      }
    )
  }

  async function changeSettings(change: { unidentifiedThreshold?: number; targetCount?: TargetCount }): Promise<boolean> {
    if (slideId.value === null) return false
    const result = await asReviewer(async () => {
      const r = await useTransport().api['review.settings']({ slideId: slideId.value!, ...change })
      if (!r.ok) {
        error.value = messageOf(r)
        return false
      }
      error.value = null
      await refresh()
      return true
    })
    return result ?? false
  }

  /** Signs the slide; the core refuses while Unidentified cells remain, and its reason is shown. */
  async function sign(meaning: string, password: string): Promise<SignOffResult | null> {
    if (slideId.value === null) return null
    busy.value = true
    try {
      const r = await useTransport().api['review.sign']({ slideId: slideId.value, meaning, password, revision: revision.value })
      await refresh()
      if (!r.ok) {
        error.value = isStale(r) ? `${messageOf(r)} (reloaded)` : messageOf(r)
        return null
      }
      error.value = null
      notice.value =
        r.value.verification === 2
          ? `Second verification by ${r.value.signedBy}: the report is final`
          : `Signed by ${r.value.signedBy}: ${r.value.totalCounted} cells counted${r.value.final ? '' : '; a second verifier must sign before the report is final'}`
      return r.value
    } finally {
      busy.value = false
    }
  }

  async function reopen(reason: string): Promise<boolean> {
    if (slideId.value === null) return false
    const result = await asReviewer(async () => {
      const r = await useTransport().api['review.reopen']({ slideId: slideId.value!, reason, revision: revision.value })
      if (isStale(r)) {
        await staleRefusal(r)
        return false
      }
      if (!r.ok) {
        error.value = messageOf(r)
        return false
      }
      error.value = null
      notice.value = `Reopened by ${r.value.who}`
      await refresh()
      if (history.value) await showHistory(history.value.scope, history.value.cellId)
      return true
    })
    return result ?? false
  }

  async function addComment(text: string, cellId: number | null = null): Promise<boolean> {
    if (slideId.value === null || !text.trim()) return false
    const result = await asReviewer(async () => {
      const r = await useTransport().api['review.comment']({ slideId: slideId.value!, cellId, text })
      if (!r.ok) {
        error.value = messageOf(r)
        return false
      }
      error.value = null
      await loadComments()
      return true
    })
    return result ?? false
  }

  async function showHistory(scope: 'cell' | 'slide', cellId: number | null = cursor.value): Promise<void> {
    if (slideId.value === null) return
    const { api } = useTransport()
    const r = scope === 'cell' && cellId !== null ? await api['review.history']({ cellId }) : await api['review.history']({ slideId: slideId.value })
    if (!r.ok) {
      error.value = messageOf(r)
      return
    }
    history.value = { scope: scope === 'cell' && cellId !== null ? 'cell' : 'slide', cellId: scope === 'cell' ? cellId : null, history: r.value }
  }

  function closeHistory(): void {
    history.value = null
  }

  async function exportReport(format: ReportFormat): Promise<SlideExport | null> {
    if (slideId.value === null) return null
    const r = await useTransport().api['review.export']({ slideId: slideId.value, format })
    if (!r.ok) {
      error.value = messageOf(r)
      return null
    }
    notice.value = `${format.toUpperCase()} exported${r.value.status === 'preliminary' ? ' (preliminary)' : ''}: ${r.value.fileName}`
    return r.value
  }

  // -------------------------------------------------------------------------
  // A classification of this slide that ended: show its calls (also those a
  // cancelled or failed job stored), and say so when it succeeded.
  // (Sync: the report and the fresh gallery belong to one step.)

  const classifyStore = useSlideClassifyStore()
  /** The reload the latest classification's end started, while it runs (a 'classify' slide.changed then reloads nothing more). */
  let classifiedReload: number | null = null
  /** The newest revision a 'classify' slide.changed announced while that reload was pending. */
  let skippedRevision = 0
  watch(
    () => classifyStore.job?.state,
    (state, before) => {
      if (before !== 'running' || state === 'running' || classifyStore.slideId === null || classifyStore.slideId !== slideId.value) return
      const reload = refresh()
      const seq = refreshes
      classifiedReload = seq
      void reload.finally(() => {
        if (classifiedReload !== seq) return
        classifiedReload = null
        classifiedShown.value++
        const missed = skippedRevision > (gallery.value?.revision ?? 0)
        skippedRevision = 0
        if (missed) void refresh()
      })
    },
    { flush: 'sync' }
  )
  watch(
    () => classifyStore.report,
    (report) => {
      if (report) notice.value = `${report.classified} cells classified with ${report.model.name}`
    },
    { flush: 'sync' }
  )

  return {
    slideId, gallery, revision, classifiedShown, differential, comments, history, signOff, signatures, awaitingSecond, order, reviewer, loading, busy, error, notice,
    groups, signed, settings, unidentifiedCount, otherLabels, classKeys,
    ...cellCursor,
    open, close, refresh, loadComments, setOrder,
    reclassify, acceptModelCall, confirmAccept, cancelAccept, pendingAccept, undo, changeSettings, sign, reopen, addComment, showHistory, closeHistory, exportReport
  }
})
