// Classifying one slide with a model, as a job: the models to choose from,
// the running job with its progress (events, a slow poll as a safety net),
// its report or why it failed, and cancelling it. The review store follows
// the report to refresh its gallery; this store knows nothing of the review.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ClassifyReport, JobSnapshot } from '../../../shared/api'
import type { ModelSummary } from '../../../shared/models'
import type { Progress } from '../../../shared/progress'
import { useTransport } from '../api/transport'
import { watchJob } from '../api/job-watch'
import { messageOf } from './result-message'

export const useSlideClassifyStore = defineStore('slide-classify', () => {
  const models = ref<ModelSummary[]>([])
  const job = ref<JobSnapshot | null>(null)
  /** The slide the latest job classifies (the review store reloads it once that job ends, whatever its outcome). */
  const slideId = ref<number | null>(null)
  const progress = ref<Progress | null>(null)
  const report = ref<ClassifyReport | null>(null)
  const error = ref<string | null>(null)
  const classifying = computed(() => job.value?.state === 'running')

  async function loadModels(): Promise<void> {
    const r = await useTransport().api['models.list']()
    if (r.ok) models.value = r.value
  }

  let unwatch: (() => void) | null = null

  function stopWatching(): void {
    unwatch?.()
    unwatch = null
  }

  /** Forgets the last report and error (another slide was opened); a running job goes on. */
  function reset(): void {
    report.value = null
    error.value = null
  }

  function finished(snapshot: JobSnapshot): void {
    stopWatching()
    job.value = snapshot
    progress.value = snapshot.progress
    if (snapshot.state === 'succeeded' && snapshot.kind === 'classify') report.value = snapshot.result as ClassifyReport
    else if (snapshot.state === 'cancelled') error.value = 'Classification cancelled; predictions stored before the cancel stay.'
    else if (snapshot.error) error.value = snapshot.error.message
  }

  async function classify(target: number, modelId?: number): Promise<void> {
    if (classifying.value) return
    stopWatching()
    error.value = null
    report.value = null
    progress.value = null
    const t = useTransport()
    const r = await t.api['slides.classify']({ slideId: target, ...(modelId !== undefined ? { modelId } : {}) })
    if (!r.ok) {
      error.value = messageOf(r)
      return
    }
    const jobId = r.value.jobId
    slideId.value = target
    job.value = { id: jobId, kind: 'classify', state: 'running', title: '', progress: { task: 'classify', done: 0, total: 0 }, startedAt: new Date().toISOString(), finishedAt: null, error: null, result: null }
    unwatch = watchJob(t, jobId, {
      progress: (p) => {
        progress.value = p
      },
      finished: (s) => (classifying.value ? finished(s) : undefined),
      current: () => job.value?.id === jobId && classifying.value
    })
    // The job may have ended before the subscription: ask once.
    const now = await t.api['jobs.get']({ jobId })
    if (now.ok && now.value.state !== 'running' && classifying.value) finished(now.value)
  }

  async function cancel(): Promise<void> {
    if (job.value && classifying.value) await useTransport().api['jobs.cancel']({ jobId: job.value.id })
  }

  return { models, job, slideId, progress, report, error, classifying, loadModels, classify, cancel, reset, stopWatching }
})
