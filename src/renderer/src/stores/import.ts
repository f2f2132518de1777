// One import at a time from the UI: the folder chosen, the running job's live
// progress (events, with a slow poll as a safety net should the event stream
// drop), and the per-file report once it ends.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { FolderListing, ImportFileReport, ImportReport, JobSnapshot } from '../../../shared/api'
import { useTransport } from '../api/transport'
import { useJobFollower } from './job-follower'

export { POLL_MS } from '../api/job-watch'

export const useImportStore = defineStore('import', () => {
  const path = ref('')
  const keepUnknownClasses = ref(true)
  const report = ref<ImportReport | null>(null)
  const error = ref<string | null>(null)
  const starting = ref(false)
  const listing = ref<FolderListing | null>(null)
  const listingError = ref<string | null>(null)

  const { job, progress, running, followStarted, stopWatching, cancel } = useJobFollower({ onFinished: finished })
  /** Every file that did not simply import, in report order. */
  const problems = computed<ImportFileReport[]>(() => report.value?.files.filter((f) => f.outcome !== 'imported') ?? [])

  function finished(snapshot: JobSnapshot): void {
    if (snapshot.state === 'succeeded' && snapshot.kind === 'import') report.value = snapshot.result as ImportReport
    else if (snapshot.state === 'cancelled') error.value = 'Import cancelled. Files already imported stay; run the same import again to complete it.'
    else if (snapshot.error) error.value = snapshot.error.message
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
      const r = await useTransport().api['import.start']({ path: folder, keepUnknownClasses: keepUnknownClasses.value })
      if (!r.ok) {
        error.value = r.error.issues?.length ? r.error.issues.map((i) => i.message).join('; ') : r.error.message
        return
      }
      await followStarted(r.value.jobId, 'import', folder)
    } finally {
      starting.value = false
    }
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
