// The job runner: progress is throttled into events, the end is one event with
// the result, cancel is cooperative with a hard stop, crashes are reported.
import { afterEach, describe, expect, it } from 'vitest'
import type { ApiEvent, JobSnapshot } from '../../../src/shared/api'
import { createEventBus } from '../../../src/main/api/events'
import { createJobRunner, type JobRunner } from '../../../src/main/api/jobs'

const workerUrl = new URL('./fixtures/scripted-worker.ts', import.meta.url)
let runner: JobRunner | undefined
afterEach(async () => {
  await runner?.close()
  runner = undefined
})

function setup(opts: { cancelGraceMs?: number } = {}) {
  const events = createEventBus()
  const seen: ApiEvent[] = []
  events.subscribe((e) => seen.push(e))
  runner = createJobRunner({ events, dbPath: ':memory:', workerUrl, progressIntervalMs: 1000, ...opts })
  const finished = (id: string) =>
    new Promise<JobSnapshot<'import'>>((resolve) => {
      const check = () => {
        const f = seen.find((e) => e.name === 'job.finished' && e.payload.id === id)
        if (f) resolve(f.payload as JobSnapshot<'import'>)
        else setTimeout(check, 20)
      }
      check()
    })
  return { runner, seen, finished }
}

describe('job runner', () => {
  it('throttles progress and ends with the result', async () => {
    const { runner, seen, finished } = setup()
    const job = runner.start('import', 'x', { path: 'progress', keepUnknownClasses: true })
    expect(job.state).toBe('running')
    const end = await finished(job.id)
    expect(end.state).toBe('succeeded')
    expect(end.result?.root).toBe('x')
    const progress = seen.filter((e) => e.name === 'job.progress')
    // 50 updates within one interval: the first goes out at once, the latest is flushed before the end.
    expect(progress.length).toBeLessThanOrEqual(3)
    expect(progress.at(-1)?.payload).toMatchObject({ jobId: job.id, progress: { done: 50, total: 50 } })
    expect((runner.get(job.id) as JobSnapshot<'import'> | undefined)?.result?.root).toBe('x')
    expect(runner.list()[0]?.result).toBeNull()
  })

  it('a cooperative cancel ends cancelled with the partial result', async () => {
    const { runner, finished } = setup()
    const job = runner.start('import', 'x', { path: 'cooperative', keepUnknownClasses: true })
    await new Promise((r) => setTimeout(r, 300))
    expect(runner.cancel(job.id)).toBe(true)
    const end = await finished(job.id)
    expect(end.state).toBe('cancelled')
    expect(end.result?.status).toBe('cancelled')
  })

  it('terminates a worker that ignores cancel', async () => {
    const { runner, finished } = setup({ cancelGraceMs: 200 })
    const job = runner.start('import', 'x', { path: 'hang', keepUnknownClasses: true })
    await new Promise((r) => setTimeout(r, 300))
    runner.cancel(job.id)
    const end = await finished(job.id)
    expect(end.state).toBe('cancelled')
    expect(end.error?.code).toBe('cancelled')
  })

  it('reports a crashed or throwing worker as failed', async () => {
    const { runner, finished } = setup()
    const crash = runner.start('import', 'x', { path: 'crash', keepUnknownClasses: true })
    const boom = runner.start('import', 'x', { path: 'throw', keepUnknownClasses: true })
    const [a, b] = await Promise.all([finished(crash.id), finished(boom.id)])
    expect(a.state).toBe('failed')
    expect(a.error?.message).toMatch(/exit code 3/)
    expect(b.state).toBe('failed')
    expect(b.error?.message).toMatch(/worker blew up/)
    expect(runner.cancel(a.id)).toBe(false)
  })
})
