// Blind expert sessions from the UI: the sessions, creating one from a recipe,
// running one (one cell at a time, answered from the keyboard), closing it and
// reading its results.
//
// Nothing here may hint at a cell's origin while a session is open: the core
// sends origin-free views and same-size PNGs, and this store shows every cell
// the same way: the next image is fetched and decoded off screen, and the
// counter and the picture change together no sooner than a fixed delay after
// the answer, so how long a cell took to arrive does not show either.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { DatasetSummary, Input, JobSnapshot } from '../../../shared/api'
import type { BlindCellView, BlindOriginAnswer, BlindResults, BlindSessionView } from '../../../shared/synthetic'
import { useTransport } from '../api/transport'
import { watchJob } from '../api/job-watch'
import { useSessionStore } from './session'

/** The least time between an answer and the next cell appearing. */
export const SWAP_MS = 220

export type BlindRecipe = Input<'blind.create'>

export interface ShownCell {
  view: BlindCellView
  url: string
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Bytes to an image URL, decoded before it is shown where the browser can (happy-dom and old engines cannot). */
async function imageUrl(bytes: Uint8Array, mime: string): Promise<string> {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }))
  if (typeof Image !== 'undefined') {
    const img = new Image()
    img.src = url
    if (typeof img.decode === 'function') await img.decode().catch(() => undefined)
  }
  return url
}

export const useBlindStore = defineStore('blind', () => {
  const sessions = ref<BlindSessionView[]>([])
  const datasets = ref<DatasetSummary[]>([])
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const creating = ref(false)
  /** The expert's name, stored with every answer. */

  /** The session being run full screen, and the cell on screen. */
  const active = ref<BlindSessionView | null>(null)
  const shown = shallowRef<ShownCell | null>(null)
  const pendingClass = ref<string | null>(null)
  const pendingOrigin = ref<BlindOriginAnswer | null>(null)
  const busy = ref(false)
  const finished = computed(() => active.value !== null && shown.value === null && !busy.value && active.value.answered >= active.value.total)

  const results = ref<BlindResults | null>(null)
  const resultsFor = ref<number | null>(null)

  async function load(): Promise<void> {
    const { api } = useTransport()
    // A reader may not list datasets (only the organiser's recipe needs them): don't ask.
    const session = useSessionStore()
    const wantDatasets = !session.user || session.can('datasets.list')
    const [s, d] = await Promise.all([api['blind.list'](), wantDatasets ? api['datasets.list']() : Promise.resolve({ ok: true as const, value: [] })])
    if (s.ok) sessions.value = [...s.value].reverse()
    if (d.ok) datasets.value = d.value
    const failed = !s.ok ? s : !d.ok ? d : null
    error.value = failed && !failed.ok ? failed.error.message : null
    loaded.value = true
  }

  async function create(recipe: BlindRecipe): Promise<BlindSessionView | null> {
    creating.value = true
    error.value = null
    try {
      const t = useTransport()
      const r = await t.api['blind.create'](recipe)
      if (!r.ok) {
        error.value = r.error.issues?.length ? r.error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ') : r.error.message
        return null
      }
      // The cells are rendered by a job; the session appears when it is done.
      const jobId = r.value.jobId
      const end = await new Promise<JobSnapshot>((resolve) => {
        let settled = false
        const stop = watchJob(t, jobId, {
          progress: () => undefined,
          finished: (s) => {
            if (settled) return
            settled = true
            stop()
            resolve(s)
          },
          current: () => !settled
        })
      })
      if (end.state !== 'succeeded' || !end.result) {
        error.value = end.error?.message ?? `the session was not created (${end.state})`
        return null
      }
      const made = end.result as BlindSessionView
      sessions.value = [made, ...sessions.value.filter((s) => s.id !== made.id)]
      return made
    } finally {
      creating.value = false
    }
  }

  function release(): void {
    if (shown.value) URL.revokeObjectURL(shown.value.url)
    shown.value = null
  }

  /** Fetches a cell's image and shows it together with its view, not before `notBefore`. */
  async function show(view: BlindCellView | null, notBefore: number): Promise<void> {
    let next: ShownCell | null = null
    if (view) {
      const img = await useTransport().api['blind.cell']({ sessionId: view.sessionId, cellId: view.cellId })
      if (!img.ok) {
        error.value = img.error.message
        return
      }
      next = { view, url: await imageUrl(img.value.bytes, img.value.mime) }
    }
    const wait = notBefore - Date.now()
    if (wait > 0) await sleep(wait)
    release()
    shown.value = next
    pendingClass.value = view?.answeredClass ?? null
    pendingOrigin.value = null
    if (active.value && view) active.value = { ...active.value, answered: view.answered }
  }

  /** Opens a session full screen at its first unanswered cell. */
  async function open(session: BlindSessionView): Promise<void> {
    if (session.status !== 'open') return
    error.value = null
    active.value = session
    busy.value = true
    try {
      const r = await useTransport().api['blind.next']({ sessionId: session.id })
      if (!r.ok) {
        error.value = r.error.message
        return
      }
      await show(r.value, 0)
    } finally {
      busy.value = false
    }
  }

  /** Leaves the full-screen session (answers so far are kept). */
  function pause(): void {
    release()
    const id = active.value?.id
    active.value = null
    pendingClass.value = null
    pendingOrigin.value = null
    if (id !== undefined) void load()
  }

  async function submit(): Promise<void> {
    const cell = shown.value
    const session = active.value
    if (!cell || !session || busy.value || pendingClass.value === null) return
    if (session.askOrigin && pendingOrigin.value === null) return
    busy.value = true
    const at = Date.now()
    try {
      const r = await useTransport().api['blind.answer']({
        sessionId: session.id,
        cellId: cell.view.cellId,
        class: pendingClass.value,
        ...(session.askOrigin ? { origin: pendingOrigin.value } : {}),
      })
      if (!r.ok) {
        error.value = r.error.message
        return
      }
      active.value = { ...session, answered: r.value.answered, total: r.value.total }
      await show(r.value.next, at + SWAP_MS)
    } finally {
      busy.value = false
    }
  }

  /** A class key: choose the class, and answer when nothing else is asked. */
  async function chooseClass(label: string): Promise<void> {
    if (!shown.value || busy.value || !active.value?.classes.includes(label)) return
    pendingClass.value = label
    if (!active.value.askOrigin || pendingOrigin.value !== null) await submit()
  }

  async function chooseOrigin(origin: BlindOriginAnswer): Promise<void> {
    if (!shown.value || busy.value || !active.value?.askOrigin) return
    pendingOrigin.value = origin
    if (pendingClass.value !== null) await submit()
  }

  /** Back to the previous cell, to change its answer. */
  async function back(): Promise<void> {
    const cell = shown.value
    const session = active.value
    if (!session || busy.value) return
    const position = cell ? cell.view.position - 1 : session.total - 1
    if (position < 0) return
    busy.value = true
    try {
      const r = await useTransport().api['blind.next']({ sessionId: session.id, position })
      if (r.ok) await show(r.value, Date.now() + SWAP_MS)
      else error.value = r.error.message
    } finally {
      busy.value = false
    }
  }

  /** Who is invited to each session, as the organiser last saw it (session id -> login names). */
  const invited = ref<Record<number, string[]>>({})

  /** Invites a reader to a session (the organiser's call); true when it worked. */
  async function invite(sessionId: number, reader: string): Promise<boolean> {
    const r = await useTransport().api['blind.invite']({ sessionId, reader: reader.trim() })
    if (!r.ok) {
      error.value = r.error.issues?.length ? r.error.issues.map((i) => i.message).join('; ') : r.error.message
      return false
    }
    error.value = null
    invited.value = { ...invited.value, [sessionId]: r.value.readers.map((x) => x.name) }
    return true
  }

  async function close(sessionId: number): Promise<void> {
    const r = await useTransport().api['blind.close']({ sessionId })
    if (!r.ok) {
      error.value = r.error.message
      return
    }
    if (active.value?.id === sessionId) pause()
    sessions.value = sessions.value.map((s) => (s.id === sessionId ? r.value : s))
    await loadResults(sessionId)
  }

  async function loadResults(sessionId: number): Promise<void> {
    resultsFor.value = sessionId
    results.value = null
    const r = await useTransport().api['blind.results']({ sessionId })
    if (resultsFor.value !== sessionId) return
    if (r.ok) results.value = r.value
    else error.value = r.error.message
  }

  return {
    sessions, datasets, loaded, error, creating, active, shown, pendingClass, pendingOrigin, busy, finished, results, resultsFor, invited,
    load, create, open, pause, chooseClass, chooseOrigin, submit, back, close, loadResults, invite
  }
})
