// @vitest-environment happy-dom
// The job follower the one-job stores share (import, slide classification,
// models, synthetic) over a scripted transport: a job followed to its end
// (succeeded, failed, cancelled), by its events or by the poll when the events
// went missing, its end handed over once, and other jobs' events ignored.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { JobSnapshot } from '../../src/shared/api'
import type { Progress } from '../../src/shared/progress'
import { setTransport } from '../../src/renderer/src/api/transport'
import { POLL_MS } from '../../src/renderer/src/api/job-watch'
import { useJobFollower } from '../../src/renderer/src/stores/job-follower'
import { fakeTransport, ok } from './fake-transport'

const snapshot = (over: Partial<JobSnapshot> = {}): JobSnapshot => ({
  id: 'job-1',
  kind: 'train',
  state: 'running',
  title: 'train on site-a',
  progress: { task: 'train', done: 0, total: 10 },
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  error: null,
  result: null,
  ...over
})

afterEach(() => {
  setTransport(null)
  vi.useRealTimers()
})

/** A follower whose hooks record what they were told. */
function follower() {
  const ends: JobSnapshot[] = []
  const seen: [Progress, Progress | null][] = []
  const followed: string[] = []
  const f = useJobFollower({
    onFollow: (s) => void followed.push(s.id),
    onProgress: (p, previous) => void seen.push([p, previous]),
    onFinished: (s) => void ends.push(s)
  })
  return { f, ends, seen, followed }
}

describe('job follower', () => {
  it('follows a started job: the runner\'s title, its progress, and its end once', async () => {
    const t = fakeTransport({ 'jobs.get': () => ok(snapshot()) })
    setTransport(t.transport)
    const { f, ends, seen, followed } = follower()
    await f.followStarted('job-1', 'train')
    expect(followed).toEqual(['job-1'])
    expect(f.running.value).toBe(true)
    expect(f.job.value?.title).toBe('train on site-a')

    t.emit('job.progress', { jobId: 'other', kind: 'train', progress: { task: 'train', done: 9, total: 9 } })
    t.emit('job.progress', { jobId: 'job-1', kind: 'train', progress: { task: 'train', done: 4, total: 10 } })
    expect(f.progress.value).toMatchObject({ done: 4, total: 10 })
    expect(seen).toEqual([[{ task: 'train', done: 4, total: 10 }, { task: 'train', done: 0, total: 0 }]])

    const end = snapshot({ state: 'succeeded', progress: { task: 'train', done: 10, total: 10 }, result: { runId: 3, status: 'done', modelId: 4, accuracy: 0.9, macroF1: 0.8 } })
    t.emit('job.finished', snapshot({ id: 'other', state: 'failed' }))
    expect(f.running.value).toBe(true)
    t.emit('job.finished', end)
    expect(f.running.value).toBe(false)
    expect(f.job.value).toEqual(end)
    expect(f.progress.value).toMatchObject({ done: 10 })
    expect(ends).toEqual([end])
    // The watch has stopped: nothing more is heard, and the end is not handed over twice.
    expect(t.listenerCount()).toBe(0)
    t.emit('job.finished', end)
    expect(ends).toHaveLength(1)
  })

  it('hands over a failed end with its error', async () => {
    const t = fakeTransport({ 'jobs.get': () => ok(snapshot()) })
    setTransport(t.transport)
    const { f, ends } = follower()
    await f.followStarted('job-1', 'train')
    t.emit('job.finished', snapshot({ state: 'failed', error: { code: 'internal', message: 'out of memory' } }))
    expect(f.job.value?.state).toBe('failed')
    expect(ends.map((e) => e.error?.message)).toEqual(['out of memory'])
  })

  it('cancels the job it follows (only while it runs) and hands over the cancelled end', async () => {
    const t = fakeTransport({ 'jobs.get': () => ok(snapshot()), 'jobs.cancel': () => ok(null) })
    setTransport(t.transport)
    const { f, ends } = follower()
    await f.cancel()
    expect(t.calls.filter((c) => c.method === 'jobs.cancel')).toHaveLength(0)
    await f.followStarted('job-1', 'train')
    await f.cancel()
    expect(t.calls.filter((c) => c.method === 'jobs.cancel').map((c) => c.input)).toEqual([{ jobId: 'job-1' }])
    t.emit('job.finished', snapshot({ state: 'cancelled', error: { code: 'cancelled', message: 'cancelled' } }))
    expect(ends.map((e) => e.state)).toEqual(['cancelled'])
    await f.cancel()
    expect(t.calls.filter((c) => c.method === 'jobs.cancel')).toHaveLength(1)
  })

  it('catches an end that came before the subscription, and one the event stream dropped', async () => {
    vi.useFakeTimers()
    let state = snapshot({ state: 'succeeded' })
    const t = fakeTransport({ 'jobs.get': () => ok(state) })
    setTransport(t.transport)
    const early = follower()
    await early.f.followStarted('job-1', 'train')
    expect(early.ends.map((e) => e.state)).toEqual(['succeeded'])
    expect(t.listenerCount()).toBe(0)

    state = snapshot()
    const late = follower()
    await late.f.followStarted('job-1', 'train')
    state = snapshot({ progress: { task: 'train', done: 6, total: 10 } })
    await vi.advanceTimersByTimeAsync(POLL_MS + 10)
    expect(late.f.progress.value).toMatchObject({ done: 6 })
    state = snapshot({ state: 'succeeded' })
    await vi.advanceTimersByTimeAsync(POLL_MS + 10)
    expect(late.ends.map((e) => e.state)).toEqual(['succeeded'])
    await vi.advanceTimersByTimeAsync(3 * POLL_MS)
    expect(late.ends).toHaveLength(1)
  })

  it('follows a job found running, and stops following on request', () => {
    const t = fakeTransport({})
    setTransport(t.transport)
    const { f, ends } = follower()
    f.follow(snapshot({ progress: { task: 'train', done: 2, total: 10 } }))
    expect(f.progress.value).toMatchObject({ done: 2 })
    expect(t.listenerCount()).toBe(2)
    f.stopWatching()
    expect(t.listenerCount()).toBe(0)
    t.emit('job.finished', snapshot({ state: 'succeeded' }))
    expect(ends).toHaveLength(0)
    expect(f.running.value).toBe(true)
  })
})
