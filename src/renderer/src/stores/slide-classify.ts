// Classifying one slide with a model, as a job: the models to choose from,
// the running job with its progress (events, a slow poll as a safety net),
// its report or why it failed, and cancelling it. The review store follows
// the report to refresh its gallery; this store knows nothing of the review.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ClassifyReport, JobSnapshot } from '../../../shared/api'
import type { ModelSummary } from '../../../shared/models'
import { useTransport } from '../api/transport'
import { useJobFollower } from './job-follower'
import { messageOf } from './result-message'

export const useSlideClassifyStore = defineStore('slide-classify', () => {
  const models = ref<ModelSummary[]>([])
  /** The slide the latest job classifies (the review store reloads it once that job ends, whatever its outcome). */
  const slideId = ref<number | null>(null)
  const report = ref<ClassifyReport | null>(null)
  const error = ref<string | null>(null)
  const { job, progress, running: classifying, followStarted, stopWatching, cancel } = useJobFollower({ onFinished: finished })

  async function loadModels(): Promise<void> {
    const r = await useTransport().api['models.list']()
    if (r.ok) models.value = r.value
  }

  /** Forgets the last report and error (another slide was opened); a running job goes on. */
  function reset(): void {
    report.value = null
    error.value = null
  }

  function finished(snapshot: JobSnapshot): void {
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
    const r = await useTransport().api['slides.classify']({ slideId: target, ...(modelId !== undefined ? { modelId } : {}) })
    if (!r.ok) {
      error.value = messageOf(r)
      return
    }
    slideId.value = target
    await followStarted(r.value.jobId, 'classify')
  }

  return { models, job, slideId, progress, report, error, classifying, loadModels, classify, cancel, reset, stopWatching }
})
