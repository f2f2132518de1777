// A scripted slide for the review store and screen tests: a few cells with
// model calls, answering the review methods the way the contract says
// (groups in the core's order, least confident first; reclassify appends; undo
// takes the last action back; sign refused while Unidentified cells remain).
// It stands in for the core only inside renderer tests; the review core itself
// is tested on real cells in test/main/review and end to end in test/e2e.
import type { ApiError, Result } from '../../src/shared/api'
import { WBC_CLASSES } from '../../src/shared/cells'
import {
  UNIDENTIFIED,
  type GalleryCell,
  type ReclassifyResult,
  type ReviewComment,
  type SlideDifferential,
  type SlideGallery
} from '../../src/shared/review'
import { fakeTransport, ok } from './fake-transport'

/** The verifier signed in for these scripted reviews: the core (here, the script) records the session's user. */
export const SIGNED_IN = { id: 1, name: 'dra', displayName: 'Dr. A', roles: ['verifier' as const] }

export interface ScriptedCell {
  id: number
  call: string | null
  confidence: number | null
  reviewer?: string
  /** The detector flagged it as possibly not a white cell (Unidentified whatever its confidence). */
  flagged?: boolean
}

const fail = (code: ApiError['code'], message: string): Result<never> => ({ ok: false, error: { code, message } })

export function scriptedSlide(cells: ScriptedCell[], opts: { threshold?: number; extra?: Record<string, (input: unknown) => Result<unknown>> } = {}) {
  const state = {
    cells: cells.map((c) => ({ ...c })),
    threshold: opts.threshold ?? 0.8,
    target: 100 as 100 | 200,
    signed: false,
    status: 'classified',
    /** The slide revision (the core's moves with every change; a change sent against an older one is refused as stale). */
    revision: 1,
    actions: [] as { cellId: number; before: string | undefined }[][],
    comments: [] as ReviewComment[]
  }
  const groupOf = (c: ScriptedCell): string => c.reviewer ?? (c.call !== null && !c.flagged && (c.confidence ?? 0) >= state.threshold ? c.call : UNIDENTIFIED)
  const galleryCell = (c: ScriptedCell): GalleryCell => ({
    id: c.id,
    fileName: `cell-${c.id}.jpg`,
    width: 360,
    height: 363,
    group: groupOf(c),
    basis: c.reviewer ? 'reviewer' : c.call === null ? 'no-prediction' : c.flagged ? 'model-unidentified' : (c.confidence ?? 0) >= state.threshold ? 'model' : 'below-threshold',
    prediction: c.call === null ? null : { label: c.call, confidence: c.confidence!, modelId: 1, probabilities: Object.fromEntries(WBC_CLASSES.map((k) => [k, k === c.call ? c.confidence! : (1 - c.confidence!) / 4])) },
    confidence: c.confidence,
    importedLabel: null
  })
  const gallery = (): SlideGallery => {
    const labels = [...WBC_CLASSES, UNIDENTIFIED, ...[...new Set(state.cells.map(groupOf))].filter((l) => l !== UNIDENTIFIED && !(WBC_CLASSES as readonly string[]).includes(l)).sort()]
    return {
      slide: { id: 7, sampleId: 'SLIDE-7', status: state.status },
      revision: state.revision,
      signed: state.signed,
      settings: { unidentifiedThreshold: state.threshold, targetCount: state.target, secondVerification: false },
      cellCount: state.cells.length,
      groups: labels.map((label) => ({
        label,
        counted: label !== UNIDENTIFIED,
        cells: state.cells.filter((c) => groupOf(c) === label).map(galleryCell).sort((a, b) => (a.confidence ?? -1) - (b.confidence ?? -1) || a.id - b.id)
      }))
    }
  }
  const differential = (): SlideDifferential => {
    const counts: Record<string, number> = {}
    for (const c of state.cells) counts[groupOf(c)] = (counts[groupOf(c)] ?? 0) + 1
    const total = Object.entries(counts).filter(([l]) => l !== UNIDENTIFIED).reduce((n, [, v]) => n + v, 0)
    return {
      slideId: 7,
      counted: WBC_CLASSES.map((label) => ({ label, count: counts[label] ?? 0, percent: total ? (100 * (counts[label] ?? 0)) / total : 0, ciLow: 0, ciHigh: 100 })),
      totalCounted: total,
      notCounted: [{ label: UNIDENTIFIED, count: counts[UNIDENTIFIED] ?? 0 }],
      unidentified: counts[UNIDENTIFIED] ?? 0,
      targetCount: state.target,
      targetReached: total >= state.target,
      signed: state.signed
    }
  }
  /** As the core: a change against another revision than the slide's is refused and changes nothing; one that goes through moves it. */
  const changing =
    (answer: (input: unknown) => Result<unknown>) =>
    (input: unknown): Result<unknown> => {
      const seen = (input as { revision?: number }).revision
      if (seen !== undefined && seen !== state.revision) return fail('stale', `slide SLIDE-7 was changed by someone else since you loaded it (revision ${seen}, now ${state.revision}); nothing was changed`)
      const r = answer(input)
      if (r.ok) state.revision++
      return r
    }
  const f = fakeTransport({
    'review.gallery': () => ok(gallery()),
    'review.differential': () => ok(differential()),
    'review.comments': () => ok(state.comments),
    'models.list': () => ok([]),
    'slides.list': () => ok([{ id: 7, sampleId: 'SLIDE-7', source: '/data/SLIDE-7', status: state.status, cellCount: state.cells.length, model: { id: 1, name: 'W-Net' }, createdAt: '2026-01-01T00:00:00Z', revision: state.revision }]),
    'datasets.list': () => ok([]),
    'review.reclassify': changing((input) => {
      const { cellIds, label } = input as { cellIds: number[]; label: string }
      if (state.signed) return fail('conflict', 'slide SLIDE-7 is signed')
      const out: ReclassifyResult = { actionId: state.actions.length + 1, changed: [], unchanged: [] }
      const action: { cellId: number; before: string | undefined }[] = []
      for (const id of cellIds) {
        const c = state.cells.find((x) => x.id === id)!
        if (c.reviewer === label) {
          out.unchanged.push(id)
          continue
        }
        out.changed.push({ cellId: id, old: groupOf(c), new: label })
        action.push({ cellId: id, before: c.reviewer })
        c.reviewer = label === 'unidentified' ? UNIDENTIFIED : label
      }
      if (action.length) state.actions.push(action)
      state.status = 'in_review'
      return ok(out)
    }),
    'review.accept': changing((input) => {
      // One action for every cell, each to its own model call (as the core's acceptModelCalls).
      const { cellIds } = input as { cellIds: number[] }
      if (state.signed) return fail('conflict', 'slide SLIDE-7 is signed')
      const out = { actionId: state.actions.length + 1, changed: [] as ReclassifyResult['changed'], unchanged: [] as number[], uncalled: [] as number[] }
      const action: { cellId: number; before: string | undefined }[] = []
      for (const id of cellIds) {
        const c = state.cells.find((x) => x.id === id)!
        if (c.call === null) {
          out.uncalled.push(id)
          continue
        }
        out.changed.push({ cellId: id, old: groupOf(c), new: c.call })
        action.push({ cellId: id, before: c.reviewer })
        c.reviewer = c.call
      }
      if (action.length) state.actions.push(action)
      state.status = 'in_review'
      return ok(out)
    }),
    'review.undo': changing(() => {
      const last = state.actions.pop()
      if (!last) return ok({ actionId: null, changed: [], unchanged: [], undid: 0 })
      const changed = last.map(({ cellId, before }) => {
        const c = state.cells.find((x) => x.id === cellId)!
        const old = groupOf(c)
        c.reviewer = before
        return { cellId, old, new: groupOf(c) }
      })
      return ok({ actionId: 99, changed, unchanged: [], undid: 1 })
    }),
    'review.settings': (input) => {
      const i = input as { unidentifiedThreshold?: number; targetCount?: 100 | 200 }
      if (i.unidentifiedThreshold !== undefined) state.threshold = i.unidentifiedThreshold
      if (i.targetCount !== undefined) state.target = i.targetCount
      if (i.unidentifiedThreshold !== undefined || i.targetCount !== undefined) state.revision++
      return ok({ unidentifiedThreshold: state.threshold, targetCount: state.target, secondVerification: false })
    },
    'review.sign': changing((input) => {
      const { meaning } = input as { meaning: string; password: string }
      const unidentified = state.cells.filter((c) => groupOf(c) === UNIDENTIFIED).length
      if (unidentified) return fail('conflict', `${unidentified} cells are still Unidentified`)
      state.signed = true
      state.status = 'signed'
      return ok({ slideId: 7, signedBy: SIGNED_IN.name, signedAt: '2026-01-02T10:00:00Z', meaning, totalCounted: differential().totalCounted, accepted: 0, verification: 1, final: true, contentSha256: 'ab'.repeat(32) })
    }),
    'review.reopen': changing((input) => {
      state.signed = false
      state.status = 'in_review'
      return ok({ status: 'reopened', who: SIGNED_IN.name, userId: SIGNED_IN.id, at: '2026-01-02T11:00:00Z', meaning: '', reason: (input as { reason: string }).reason, verification: 1, contentSha256: '' })
    }),
    'review.history': () =>
      ok({ changes: [], signOffs: state.signed ? [{ status: 'signed', who: SIGNED_IN.name, userId: SIGNED_IN.id, at: '2026-01-02T10:00:00Z', meaning: 'verified', reason: '', verification: 1, contentSha256: 'ab'.repeat(32) }] : [] }),
    'session.state': () => ok({ needsSetup: false, user: SIGNED_IN, idleMinutes: null }),
    'review.comment': (input) => {
      const i = input as { cellId?: number | null; text: string }
      const c = { id: state.comments.length + 1, slideId: 7, cellId: i.cellId ?? null, who: SIGNED_IN.name, at: '2026-01-02T09:00:00Z', text: i.text }
      state.comments.push(c)
      return ok(c)
    },
    ...opts.extra
  })
  return { ...f, state, gallery, differential }
}

/** Eight cells: four confident calls, three under the 0.8 threshold, one not classified. */
export const EIGHT: ScriptedCell[] = [
  { id: 1, call: 'neutrophil', confidence: 0.95 },
  { id: 2, call: 'neutrophil', confidence: 0.85 },
  { id: 3, call: 'lymphocyte', confidence: 0.9 },
  { id: 4, call: 'monocyte', confidence: 0.82 },
  { id: 5, call: 'lymphocyte', confidence: 0.6 },
  { id: 6, call: 'eosinophil', confidence: 0.5 },
  { id: 7, call: 'lymphocyte', confidence: 0.4 },
  { id: 8, call: null, confidence: null }
]
