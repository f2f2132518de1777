// The slides (and datasets) the store holds, and a preview of one slide's
// cells, for the Slides screen.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { CellSummary, DatasetSummary, SlideSummary } from '../../../shared/api'
import { useTransport } from '../api/transport'

export const useSlidesStore = defineStore('slides', () => {
  const slides = ref<SlideSummary[]>([])
  const datasets = ref<DatasetSummary[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
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
