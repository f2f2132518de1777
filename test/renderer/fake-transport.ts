// A scripted transport for store and component tests: answers from a table of
// handlers and lets the test emit events.
import { vi } from 'vitest'
import { API_METHODS, type ApiClient, type ApiEvents, type EventName, type ImportReport, type Result } from '../../src/shared/api'
import type { Transport } from '../../src/renderer/src/api/transport'

type Answer = (input: unknown) => Result<unknown> | Promise<Result<unknown>>

export function fakeTransport(answers: Partial<Record<string, Answer>>, kind: Transport['kind'] = 'browser') {
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const calls: { method: string; input: unknown }[] = []
  const api = Object.fromEntries(
    API_METHODS.map((m) => [
      m,
      vi.fn(async (input?: unknown) => {
        calls.push({ method: m, input })
        const a = answers[m]
        return a ? a(input) : { ok: false, error: { code: 'unavailable', message: `${m} not scripted` } }
      })
    ])
  ) as unknown as ApiClient
  const transport: Transport = {
    kind,
    api,
    on(name, listener) {
      let set = listeners.get(name)
      if (!set) listeners.set(name, (set = new Set()))
      set.add(listener as (p: unknown) => void)
      return () => void set.delete(listener as (p: unknown) => void)
    },
    cellImageUrl: async (id) => `/api/cell-image/${id}`,
    releaseImageUrl: () => undefined,
    pathForFile: () => null
  }
  const emit = <E extends EventName>(name: E, payload: ApiEvents[E]) => {
    for (const l of [...(listeners.get(name) ?? [])]) l(payload)
  }
  /** Listeners subscribed (to one event, or to all). */
  const listenerCount = (name?: EventName) => (name ? (listeners.get(name)?.size ?? 0) : [...listeners.values()].reduce((n, s) => n + s.size, 0))
  return { transport, calls, emit, listenerCount }
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })

/** A finished import: two cells in, one truncated file out. */
export const REPORT: ImportReport = {
  root: '/data/SLIDE-7',
  batchId: 1,
  dataset: { id: 1, name: 'SLIDE-7' },
  status: 'done',
  counts: { files: 3, imported: 2, duplicate: 0, skipped: 0, failed: 1, conflicts: 0 },
  failuresByReason: { truncated: 1 },
  slides: ['SLIDE-7'],
  orders: { rows: 0, updated: [], unmatched: [], signed: [], keptReviewerValues: [], problems: [] },
  files: [
    { path: 'a.jpg', outcome: 'imported' },
    { path: 'b.jpg', outcome: 'imported' },
    { path: 'c.jpg', outcome: 'failed', reasonCode: 'truncated', reason: 'the JPEG file is truncated' }
  ],
  seconds: 0.2,
  imagesPerSecond: 10
}

