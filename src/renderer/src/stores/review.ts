// One slide under review: its gallery (cells grouped by class, ordered by the
// model's confidence), the live differential, comments, audit history,
// sign-off and exports, the cell cursor and the selection the keyboard works
// on, and classifying the slide as a job. Talks only to the API contract; every
// change goes through the review core and the screen re-reads what the core
// says, so the gallery and the differential never drift from the store.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ClassifyReport, JobSnapshot, Result } from '../../../shared/api'
import { WBC_CLASSES } from '../../../shared/cells'
import type { ModelSummary } from '../../../shared/models'
import type { Progress } from '../../../shared/progress'
import {
  UNIDENTIFIED,
  type GalleryCell,
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
import { watchJob } from '../api/job-watch'
import { useSessionStore } from './session'

export { POLL_MS } from '../api/job-watch'

/** A key that reclassifies, and the class it gives. */
export interface ClassKey {
  key: string
  label: string
}

export type SelectMode = 'single' | 'toggle' | 'range'

export interface HistoryView {
  scope: 'cell' | 'slide'
  cellId: number | null
  history: ReviewHistory
}

function messageOf(r: Result<unknown>): string {
  if (r.ok) return ''
  return r.error.issues?.length ? r.error.issues.map((i) => i.message).join('; ') : r.error.message
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
  const cursor = ref<number | null>(null)
  const selection = ref<Set<number>>(new Set())
  const anchor = ref<number | null>(null)
  /** Who is reviewing: the signed-in user (the core records the session's user, never a typed name). */
  const reviewer = computed(() => useSessionStore().user?.displayName ?? '')
  const loading = ref(false)
  const busy = ref(false)
  const error = ref<string | null>(null)
  /** The last thing done, for the status line (and screen readers). */
  const notice = ref<string | null>(null)

  const models = ref<ModelSummary[]>([])
  const classifyJob = ref<JobSnapshot | null>(null)
  const classifyProgress = ref<Progress | null>(null)
  const classifyReport = ref<ClassifyReport | null>(null)
  const classifyError = ref<string | null>(null)

  // -------------------------------------------------------------------------
  // Derived

  const groups = computed(() => gallery.value?.groups ?? [])
  /** Every cell in display order: the order arrows, auto-advance and range selection follow. */
  const cells = computed<GalleryCell[]>(() => groups.value.flatMap((g) => g.cells))
  const indexById = computed(() => new Map(cells.value.map((c, i) => [c.id, i])))
  const current = computed<GalleryCell | null>(() => (cursor.value === null ? null : (cells.value[indexById.value.get(cursor.value) ?? -1] ?? null)))
  const signed = computed(() => gallery.value?.signed ?? false)
  /** Signed, and the slide's settings ask a second, different verifier who has not signed yet: the report is still preliminary. */
  const awaitingSecond = computed(() => signed.value && !!gallery.value?.settings.secondVerification && !signatures.value.some((s) => s.verification === 2))
  const settings = computed(() => gallery.value?.settings ?? null)
  const unidentifiedCount = computed(() => groups.value.find((g) => g.label === UNIDENTIFIED)?.cells.length ?? 0)
  const classifying = computed(() => classifyJob.value?.state === 'running')
  /** Other labels present on the slide (not the five, not Unidentified), in gallery order. */
  const otherLabels = computed(() => groups.value.map((g) => g.label).filter((l) => l !== UNIDENTIFIED && !(WBC_CLASSES as readonly string[]).includes(l)))
  /** 1-5 the five classes (src/shared/cells order), 0 Unidentified, 6-9 the first other labels present. */
  const classKeys = computed<ClassKey[]>(() => [
    ...WBC_CLASSES.map((label, i) => ({ key: String(i + 1), label })),
    { key: '0', label: UNIDENTIFIED },
    ...otherLabels.value.slice(0, 4).map((label, i) => ({ key: String(i + 6), label }))
  ])
  const groupOf = (cellId: number): string | null => cells.value[indexById.value.get(cellId) ?? -1]?.group ?? null
  /** What an action applies to: the selection when there is one, else the cell under the cursor. */
  const targets = computed<number[]>(() => {
    if (selection.value.size) return cells.value.filter((c) => selection.value.has(c.id)).map((c) => c.id)
    return cursor.value !== null && indexById.value.has(cursor.value) ? [cursor.value] : []
  })

  // -------------------------------------------------------------------------
  // Loading

  async function refresh(): Promise<void> {
    const id = slideId.value
    if (id === null) return
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
    if (slideId.value !== id) return
    if (g.ok) gallery.value = g.value
    if (d.ok) differential.value = d.value
    signatures.value = inForce
    signOff.value = inForce[0] ?? null
    const failed = !g.ok ? g : !d.ok ? d : null
    if (failed) error.value = messageOf(failed)
    // Keep the cursor on a cell that still exists; drop selected cells that are gone.
    if (cursor.value === null || !indexById.value.has(cursor.value)) cursor.value = cells.value[0]?.id ?? null
    const kept = [...selection.value].filter((c) => indexById.value.has(c))
    if (kept.length !== selection.value.size) selection.value = new Set(kept)
  }

  async function loadComments(): Promise<void> {
    if (slideId.value === null) return
    const r = await useTransport().api['review.comments']({ slideId: slideId.value })
    if (r.ok) comments.value = r.value
  }

  async function open(id: number): Promise<void> {
    if (slideId.value !== id) {
      gallery.value = null
      differential.value = null
      comments.value = []
      history.value = null
      cursor.value = null
      selection.value = new Set()
      anchor.value = null
      classifyReport.value = null
      classifyError.value = null
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
  // Cursor and selection

  function setCursor(id: number | null): void {
    if (id !== null && !indexById.value.has(id)) return
    cursor.value = id
  }

  /** Moves the cursor by `delta` cells in display order; with `extend`, the selection grows from the anchor. */
  function move(delta: number, extend = false): void {
    const list = cells.value
    if (!list.length) return
    const at = cursor.value === null ? -1 : (indexById.value.get(cursor.value) ?? -1)
    const next = Math.min(list.length - 1, Math.max(0, at < 0 ? 0 : at + delta))
    moveTo(list[next]!.id, extend)
  }

  function moveTo(id: number, extend = false): void {
    if (!indexById.value.has(id)) return
    if (extend) {
      if (anchor.value === null) anchor.value = cursor.value ?? id
      cursor.value = id
      selectRange(anchor.value, id)
    } else {
      cursor.value = id
    }
  }

  /** The first cell of the next (+1) or previous (-1) non-empty group. */
  function moveGroup(direction: 1 | -1): void {
    const gs = groups.value.filter((g) => g.cells.length)
    if (!gs.length) return
    const here = cursor.value === null ? -1 : gs.findIndex((g) => g.cells.some((c) => c.id === cursor.value))
    const next = here < 0 ? 0 : Math.min(gs.length - 1, Math.max(0, here + direction))
    cursor.value = gs[next]!.cells[0]!.id
  }

  function selectRange(from: number, to: number): void {
    const a = indexById.value.get(from)
    const b = indexById.value.get(to)
    if (a === undefined || b === undefined) return
    const [lo, hi] = a <= b ? [a, b] : [b, a]
    selection.value = new Set(cells.value.slice(lo, hi + 1).map((c) => c.id))
  }

  /** Mouse-style selection: a plain click picks one cell, ctrl toggles, shift takes the range from the anchor. */
  function select(id: number, mode: SelectMode = 'single'): void {
    if (!indexById.value.has(id)) return
    if (mode === 'range') {
      selectRange(anchor.value ?? cursor.value ?? id, id)
    } else if (mode === 'toggle') {
      const s = new Set(selection.value)
      if (s.has(id)) s.delete(id)
      else s.add(id)
      selection.value = s
      anchor.value = id
    } else {
      selection.value = new Set()
      anchor.value = id
    }
    cursor.value = id
  }

  function toggleSelected(id = cursor.value): void {
    if (id !== null) select(id, 'toggle')
  }

  /** Every cell of a group (default: the cursor's group). */
  function selectGroup(label = cursor.value === null ? null : groupOf(cursor.value)): void {
    const g = groups.value.find((x) => x.label === label)
    if (!g || !g.cells.length) return
    selection.value = new Set(g.cells.map((c) => c.id))
    anchor.value = g.cells[0]!.id
    if (cursor.value === null || groupOf(cursor.value) !== label) cursor.value = g.cells[0]!.id
  }

  function clearSelection(): void {
    selection.value = new Set()
    anchor.value = null
  }

  // -------------------------------------------------------------------------
  // Review actions

  /** The cell to show after `ids` leave their place: the next one in display order that is not moving, else the one before. */
  function cellAfter(ids: readonly number[]): number | null {
    const moving = new Set(ids)
    const list = cells.value
    const last = Math.max(...ids.map((id) => indexById.value.get(id) ?? -1))
    for (let i = last + 1; i < list.length; i++) if (!moving.has(list[i]!.id)) return list[i]!.id
    for (let i = last - 1; i >= 0; i--) if (!moving.has(list[i]!.id)) return list[i]!.id
    return null
  }

  /**
   * Gives the target cells (the selection, else the cursor's cell) a class and
   * moves the cursor on to the next cell to look at.
   */
  async function reclassify(label: string, ids: readonly number[] = targets.value): Promise<boolean> {
    if (slideId.value === null || !ids.length || signed.value) return false
    const chosen = [...ids]
    const result = await asReviewer(async () => {
      const id = slideId.value!
      const next = cellAfter(chosen)
      busy.value = true
      try {
        const r = await useTransport().api['review.reclassify']({ slideId: id, cellIds: chosen, label })
        if (!r.ok) {
          error.value = messageOf(r)
          return false
        }
        error.value = null
        const moved = r.value.changed.length
        const shown = label === UNIDENTIFIED ? 'Unidentified' : label
        notice.value = moved
          ? `${moved} cell${moved === 1 ? '' : 's'} → ${shown}${r.value.unchanged.length ? ` (${r.value.unchanged.length} already ${shown})` : ''}`
          : `Already ${shown}: nothing changed`
        clearSelection()
        await refresh()
        // Auto-advance: the next cell in the order the reviewer was working through.
        if (next !== null && indexById.value.has(next)) cursor.value = next
        return true
      } finally {
        busy.value = false
      }
    })
    return result ?? false
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
    const result = await asReviewer(async () => {
      const id = slideId.value!
      const next = cellAfter(idList)
      busy.value = true
      try {
        const r = await useTransport().api['review.accept']({ slideId: id, cellIds: idList })
        if (!r.ok) {
          error.value = messageOf(r)
          await refresh()
          return false
        }
        const moved = r.value.changed.length
        const uncalled = r.value.uncalled.length
        error.value = null
        notice.value = `Model's call accepted for ${moved} cell${moved === 1 ? '' : 's'}${calls.length > 1 ? ` (${calls.join(', ')})` : ` → ${calls[0]}`}${uncalled ? `; ${uncalled} not classified, left as they are` : ''}`
        clearSelection()
        await refresh()
        if (next !== null && indexById.value.has(next)) cursor.value = next
        return true
      } finally {
        busy.value = false
      }
    })
    return result ?? false
  }

  async function confirmAccept(): Promise<boolean> {
    const p = pendingAccept.value
    if (!p) return false
    return acceptModelCall(p.ids, { confirmed: true })
  }

  function cancelAccept(): void {
    pendingAccept.value = null
  }

  async function undo(): Promise<boolean> {
    if (slideId.value === null || signed.value) return false
    const result = await asReviewer(async () => {
      busy.value = true
      try {
        const r = await useTransport().api['review.undo']({ slideId: slideId.value! })
        if (!r.ok) {
          error.value = messageOf(r)
          return false
        }
        error.value = null
        const n = r.value.changed.length
        notice.value = n ? `Undone: ${n} cell${n === 1 ? '' : 's'} back to ${[...new Set(r.value.changed.map((c) => (c.new === 'unidentified cell' || c.new === UNIDENTIFIED ? 'Unidentified' : c.new)))].join(', ')}` : 'Nothing to undo'
        await refresh()
        const first = r.value.changed[0]?.cellId
        if (first !== undefined && indexById.value.has(first)) cursor.value = first
        return true
      } finally {
        busy.value = false
      }
    })
    return result ?? false
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
      const r = await useTransport().api['review.sign']({ slideId: slideId.value, meaning, password })
      await refresh()
      if (!r.ok) {
        error.value = messageOf(r)
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
      const r = await useTransport().api['review.reopen']({ slideId: slideId.value!, reason })
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
  // Classifying the slide (a job: progress by events, a slow poll as a safety net)

  async function loadModels(): Promise<void> {
    const r = await useTransport().api['models.list']()
    if (r.ok) models.value = r.value
  }

  let unwatch: (() => void) | null = null

  function stopWatching(): void {
    unwatch?.()
    unwatch = null
  }

  async function classifyFinished(snapshot: JobSnapshot): Promise<void> {
    stopWatching()
    classifyJob.value = snapshot
    classifyProgress.value = snapshot.progress
    if (snapshot.state === 'succeeded' && snapshot.kind === 'classify') {
      const report = snapshot.result as ClassifyReport
      classifyReport.value = report
      notice.value = `${report.classified} cells classified with ${report.model.name}`
      if (slideId.value === report.slideId) await refresh()
    } else if (snapshot.state === 'cancelled') classifyError.value = 'Classification cancelled; predictions stored before the cancel stay.'
    else if (snapshot.error) classifyError.value = snapshot.error.message
  }

  async function classify(modelId?: number): Promise<void> {
    if (slideId.value === null || classifying.value) return
    stopWatching()
    classifyError.value = null
    classifyReport.value = null
    classifyProgress.value = null
    const t = useTransport()
    const r = await t.api['slides.classify']({ slideId: slideId.value, ...(modelId !== undefined ? { modelId } : {}) })
    if (!r.ok) {
      classifyError.value = messageOf(r)
      return
    }
    const jobId = r.value.jobId
    classifyJob.value = { id: jobId, kind: 'classify', state: 'running', title: '', progress: { task: 'classify', done: 0, total: 0 }, startedAt: new Date().toISOString(), finishedAt: null, error: null, result: null }
    unwatch = watchJob(t, jobId, {
      progress: (p) => {
        classifyProgress.value = p
      },
      finished: (s) => (classifying.value ? classifyFinished(s) : undefined),
      current: () => classifyJob.value?.id === jobId && classifying.value
    })
    // The job may have ended before the subscription: ask once.
    const now = await t.api['jobs.get']({ jobId })
    if (now.ok && now.value.state !== 'running' && classifying.value) await classifyFinished(now.value)
  }

  async function cancelClassify(): Promise<void> {
    if (classifyJob.value && classifying.value) await useTransport().api['jobs.cancel']({ jobId: classifyJob.value.id })
  }

  return {
    slideId, gallery, differential, comments, history, signOff, signatures, awaitingSecond, order, cursor, selection, anchor, reviewer, loading, busy, error, notice,
    models, classifyJob, classifyProgress, classifyReport, classifyError,
    groups, cells, current, signed, settings, unidentifiedCount, classifying, otherLabels, classKeys, targets, groupOf,
    open, close, refresh, loadComments, setOrder,
    setCursor, move, moveTo, moveGroup, select, toggleSelected, selectGroup, clearSelection,
    reclassify, acceptModelCall, confirmAccept, cancelAccept, pendingAccept, undo, changeSettings, sign, reopen, addComment, showHistory, closeHistory, exportReport,
    loadModels, classify, cancelClassify, stopWatching
  }
})
