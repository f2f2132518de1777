// Following one long job from a store (import, slide classification,
// training, GAN): the job and its live progress, its end handed to the store
// once, and cancelling it. Each store that runs one job at a time holds one
// follower and says only what its job's progress and end mean to it.
// Progress and the end arrive as events, with a slow poll of `jobs.get` as the
// safety net (../api/job-watch).
import { computed, ref } from 'vue'
import type { JobSnapshot } from '../../../shared/api'
import type { Progress } from '../../../shared/progress'
import { useTransport } from '../api/transport'
import { watchJob } from '../api/job-watch'

export interface JobFollowerHooks {
  /** A job is followed from now on (before its first progress): reset what the store keeps per job. */
  onFollow?(s: JobSnapshot): void
  /** A newer progress of the followed job, already in `progress` (`previous`: what was there before). */
  onProgress?(p: Progress, previous: Progress | null): void | Promise<void>
  /** The followed job ended: `job` and `progress` hold its last snapshot and the watch has stopped. Called once per job. */
  onFinished(s: JobSnapshot): void | Promise<void>
}

/** A snapshot standing for a job just started, until the runner's own arrives. */
export function startedJob(jobId: string, kind: JobSnapshot['kind'], title = ''): JobSnapshot {
  return { id: jobId, kind, state: 'running', title, progress: { task: kind, done: 0, total: 0 }, startedAt: new Date().toISOString(), finishedAt: null, error: null, result: null }
}

/** For use inside a setup store: one job followed at a time. */
export function useJobFollower(hooks: JobFollowerHooks) {
  const job = ref<JobSnapshot | null>(null)
  const progress = ref<Progress | null>(null)
  const running = computed(() => job.value?.state === 'running')
  let unwatch: (() => void) | null = null

  function stopWatching(): void {
    unwatch?.()
    unwatch = null
  }

  /** Whether `jobId` is the job followed and it still runs (events and polls of any other are ignored). */
  const following = (jobId: string) => job.value?.id === jobId && running.value

  async function finished(s: JobSnapshot): Promise<void> {
    stopWatching()
    job.value = s
    progress.value = s.progress
    await hooks.onFinished(s)
  }

  /** Follows a running job (one this store started, or found running on load). */
  function follow(s: JobSnapshot): void {
    stopWatching()
    job.value = s
    progress.value = s.progress
    hooks.onFollow?.(s)
    const jobId = s.id
    unwatch = watchJob(useTransport(), jobId, {
      progress: (p) => {
        if (!following(jobId)) return
        const previous = progress.value
        progress.value = p
        return hooks.onProgress?.(p, previous)
      },
      finished: (end) => (following(jobId) ? finished(end) : undefined),
      current: () => following(jobId)
    })
  }

  /**
   * Follows a job the store just started: at once, then the runner's own
   * snapshot (its title), or its end should it have ended before the
   * subscription.
   */
  async function followStarted(jobId: string, kind: JobSnapshot['kind'], title = ''): Promise<void> {
    follow(startedJob(jobId, kind, title))
    const now = await useTransport().api['jobs.get']({ jobId })
    if (!now.ok || !following(jobId)) return
    if (now.value.state !== 'running') await finished(now.value)
    else job.value = { ...now.value, progress: progress.value ?? now.value.progress }
  }

  async function cancel(): Promise<void> {
    if (job.value && running.value) await useTransport().api['jobs.cancel']({ jobId: job.value.id })
  }

  return { job, progress, running, follow, followStarted, stopWatching, cancel }
}
