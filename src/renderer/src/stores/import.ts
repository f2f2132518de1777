// One import at a time from the UI: the folder chosen, the running job's live
// progress (events, with a slow poll as a safety net should the event stream
// drop), and the per-file report once it ends.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { FolderListing, ImportFileReport, ImportReport, JobSnapshot } from '../../../shared/api'
import type { Progress } from '../../../shared/progress'
import { useTransport } from '../api/transport'
import { watchJob } from '../api/job-watch'

export { POLL_MS } from '../api/job-watch'

export const useImportStore = defineStore('import', () => {
  const path = ref('')
  const keepUnknownClasses = ref(true)
  const job = ref<JobSnapshot | null>(null)
  const progress = ref<Progress | null>(null)
  const report = ref<ImportReport | null>(null)
  const error = ref<string | null>(null)
  const starting = ref(false)
  const listing = ref<FolderListing | null>(null)
  const listingError = ref<string | null>(null)

  const running = computed(() => job.value?.state === 'running')
  /** Every file that did not simply import, in report order. */
  const problems = computed<ImportFileReport[]>(() => report.value?.files.filter((f) => f.outcome !== 'imported') ?? [])

  let unwatch: (() => void) | null = null

  function stopWatching(): void {
    unwatch?.()
    unwatch = null
  }

  function finished(snapshot: JobSnapshot): void {
    stopWatching()
    job.value = snapshot
    progress.value = snapshot.progress
    if (snapshot.state === 'succeeded' && snapshot.kind === 'import') report.value = snapshot.result as ImportReport
    else if (snapshot.state === 'cancelled') error.value = 'Import cancelled. Files already imported stay; run the same import again to complete it.'
    else if (snapshot.error) error.value = snapshot.error.message
  }

  function watch(jobId: string): void {
    unwatch = watchJob(useTransport(), jobId, {
      progress: (p) => {
        progress.value = p
      },
      finished,
      current: () => job.value?.id === jobId && running.value
    })
  }

  async function start(): Promise<void> {
    const folder = path.value.trim()
    if (!folder || running.value) return
    stopWatching()
    error.value = null
    report.value = null
    progress.value = null
    starting.value = true
    try {
      const t = useTransport()
      const r = await t.api['import.start']({ path: folder, keepUnknownClasses: keepUnknownClasses.value })
      if (!r.ok) {
        error.value = r.error.issues?.length ? r.error.issues.map((i) => i.message).join('; ') : r.error.message
        return
      }
      const jobId = r.value.jobId
      job.value = { id: jobId, kind: 'import', state: 'running', title: folder, progress: { task: 'import', done: 0, total: 0 }, startedAt: new Date().toISOString(), finishedAt: null, error: null, result: null }
      watch(jobId)
      // The job may have ended before the subscription: ask once.
      const now = await t.api['jobs.get']({ jobId })
      if (now.ok && now.value.state !== 'running' && running.value) finished(now.value)
    } finally {
      starting.value = false
    }
  }

  async function cancel(): Promise<void> {
    if (!job.value || !running.value) return
    await useTransport().api['jobs.cancel']({ jobId: job.value.id })
  }

  async function browse(folder?: string): Promise<void> {
    const r = await useTransport().api['folders.list'](folder ? { path: folder } : {})
    if (r.ok) {
      listing.value = r.value
      listingError.value = null
    } else listingError.value = r.error.message
  }

  function closeBrowser(): void {
    listing.value = null
    listingError.value = null
  }

  /** The desktop app can take a folder dropped on the window; a browser cannot say where a dropped file lives. */
  const acceptsDrop = useTransport().kind === 'desktop'

  /** A dropped folder becomes the path to import, where the shell can name it. */
  function dropped(file: File): void {
    const p = useTransport().pathForFile(file)
    if (p) path.value = p
  }

  return { path, keepUnknownClasses, job, progress, report, error, starting, running, problems, listing, listingError, acceptsDrop, start, cancel, browse, closeBrowser, stopWatching, dropped }
})
