// Following one long job from a store (import, training, classification, GAN):
// its progress and its end arrive as events, and a slow poll of `jobs.get`
// is the safety net should the event stream drop.
import type { JobSnapshot } from '../../../shared/api'
import type { Progress } from '../../../shared/progress'
import type { Transport } from './transport'

export const POLL_MS = 3000

export interface JobWatcher {
  /** A newer progress (from an event, or from the poll while `current()`). */
  progress(p: Progress): void | Promise<void>
  /** The job ended (an event, or the poll while `current()`). */
  finished(s: JobSnapshot): void | Promise<void>
  /** Whether the store still follows this job as running; the poll does nothing otherwise. */
  current(): boolean
}

/** Starts following `jobId`; the returned function stops the events and the poll. */
export function watchJob(t: Transport, jobId: string, w: JobWatcher): () => void {
  const off = [
    t.on('job.progress', (e) => {
      if (e.jobId === jobId) void w.progress(e.progress)
    }),
    t.on('job.finished', (s) => {
      if (s.id === jobId) void w.finished(s)
    })
  ]
  const poll = setInterval(async () => {
    const r = await t.api['jobs.get']({ jobId })
    if (!r.ok || !w.current()) return
    if (r.value.state !== 'running') await w.finished(r.value)
    else await w.progress(r.value.progress)
  }, POLL_MS)
  return () => {
    for (const u of off) u()
    clearInterval(poll)
  }
}
