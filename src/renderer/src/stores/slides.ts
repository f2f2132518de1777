// The slides (and datasets) the store holds, and a preview of one slide's
// cells, for the Slides screen. Once loaded, the list follows other stations:
// a slide.changed that can move a slide's status (classified, in review,
// signed, reopened) reloads it, a burst of them once.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { CellSummary, DatasetSummary, SlideChange, SlideSummary } from '../../../shared/api'
import { useTransport } from '../api/transport'

/** Changes that can move a slide's status in the list. */
const STATUS_CHANGES: readonly SlideChange[] = ['reclassify', 'accept', 'undo', 'sign', 'reopen', 'classify']
/** A burst of changes (a reviewer working through a slide) reloads the list once. */
export const SLIDES_RELOAD_MS = 1000

export const useSlidesStore = defineStore('slides', () => {
  const slides = ref<SlideSummary[]>([])
  const datasets = ref<DatasetSummary[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)

  let following = false
  let reload: ReturnType<typeof setTimeout> | null = null
  function follow(): void {
    if (following) return
    following = true
    useTransport().on('slide.changed', (e) => {
      if (!STATUS_CHANGES.includes(e.change) || reload) return
      reload = setTimeout(() => {
        reload = null
        void useTransport()
          .api['slides.list']()
          .then((r) => {
            if (r.ok) slides.value = r.value
          })
      }, SLIDES_RELOAD_MS)
    })
  }

  async function load(): Promise<void> {
    follow()
    const { api } = useTransport()
    loading.value = true
    try {
      const [s, d] = await Promise.all([api['slides.list'](), api['datasets.list']()])
      if (s.ok) slides.value = s.value
      if (d.ok) datasets.value = d.value
      const failed = !s.ok ? s : !d.ok ? d : null
      error.value = failed && !failed.ok ? failed.error.message : null
      loaded.value = true
    } finally {
      loading.value = false
    }
  }

  /** The first cells of the slide last asked for (empty while they load, or when none was). */
  const preview = ref<CellSummary[]>([])
  let previewOf: number | null = null

  async function loadPreview(slideId: number | null, limit: number): Promise<void> {
    previewOf = slideId
    preview.value = []
    if (slideId === null) return
    const r = await useTransport().api['cells.list']({ slideId, limit })
    // A later choice wins over a slower earlier answer.
    if (r.ok && previewOf === slideId) preview.value = r.value.cells
  }

  return { slides, datasets, loading, loaded, error, load, preview, loadPreview }
})
