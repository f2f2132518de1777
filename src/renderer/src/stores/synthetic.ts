// The Synthetic screen's state: the GAN generators (one per class), the
// selected one's sample grid and newest quality report, and one GAN training or
// generation job at a time with live progress (events, with a slow poll as a
// safety net). While a GAN trains, its row and sample grid follow its checkpoints.
import { defineStore } from 'pinia'
import { computed, reactive, ref } from 'vue'
import type { DatasetSummary, JobSnapshot } from '../../../shared/api'
import { WBC_CLASSES } from '../../../shared/cells'
import type { GanJobResult, GanPresetName, GenerateJobResult } from '../../../shared/models'
import type { GeneratorSummary, QualityJobResult, QualityReport } from '../../../shared/synthetic'
import { useTransport } from '../api/transport'
import { useJobFollower } from './job-follower'

export { POLL_MS } from '../api/job-watch'
/** How often a training GAN's row and grid are refreshed from its progress. */
export const REFRESH_MS = 4000

export interface GanForm {
  class: string
  preset: GanPresetName
  steps: number
  datasetId: number
}

export const useSyntheticStore = defineStore('synthetic', () => {
  const generators = ref<GeneratorSummary[]>([])
  const datasets = ref<DatasetSummary[]>([])
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const selectedId = ref<number | null>(null)
  const report = ref<QualityReport | null>(null)
  const gridUrl = ref<string | null>(null)
  const gridStep = ref<number | null>(null)

  const form = reactive<GanForm>({ class: WBC_CLASSES[0], preset: 'cpu', steps: 5000, datasetId: 0 })
  const generateCount = ref(100)
  const reportForm = reactive({ perClass: 100, epochs: 5 })

  let lastRefresh = 0
  const { job, progress, running, follow, followStarted, stopWatching, cancel } = useJobFollower({
    onFollow: () => {
      lastRefresh = Date.now()
    },
    onProgress,
    onFinished: finished
  })
  const jobError = ref<string | null>(null)
  const jobNote = ref<string | null>(null)
  const starting = ref(false)
  const selected = computed(() => generators.value.find((g) => g.id === selectedId.value) ?? null)
  /**
   * The generators a quality report run from this screen covers: one per
   * class, each with a checkpoint, the same preset as the selected one where
   * a class has one (so a shipped five-class generator is reported as a
   * whole), else that class's newest.
   */
  const reportGenerators = computed(() => {
    const trained = generators.value.filter((g) => g.steps > 0)
    const preset = selected.value?.preset
    const byClass = new Map<string, GeneratorSummary>()
    for (const g of [...trained].sort((a, b) => a.id - b.id)) {
      const have = byClass.get(g.class)
      if (!have || (g.preset === preset) >= (have.preset === preset)) byClass.set(g.class, g)
    }
    return [...byClass.values()]
  })

  async function load(): Promise<void> {
    const { api } = useTransport()
    const [g, d, j] = await Promise.all([api['synthetic.generators'](), api['datasets.list'](), api['jobs.list']()])
    if (g.ok) generators.value = g.value
    if (d.ok) datasets.value = d.value
    const failed = !g.ok ? g : !d.ok ? d : null
    error.value = failed && !failed.ok ? failed.error.message : null
    loaded.value = true
    if (j.ok && !running.value) {
      const live = j.value.find((x) => (x.kind === 'gan' || x.kind === 'generate' || x.kind === 'quality') && x.state === 'running')
      if (live) follow(live)
    }
    if (selectedId.value === null && generators.value.length) await select(generators.value[0]!.id)
    else if (selectedId.value !== null) await select(selectedId.value)
  }

  async function refreshGenerators(): Promise<void> {
    const r = await useTransport().api['synthetic.generators']()
    if (r.ok) generators.value = r.value
    const g = selected.value
    if (g && g.gridStep !== gridStep.value) await loadGrid(g.id)
  }

  async function loadGrid(id: number): Promise<void> {
    const g = generators.value.find((x) => x.id === id)
    if (gridUrl.value) URL.revokeObjectURL(gridUrl.value)
    gridUrl.value = null
    gridStep.value = null
    if (!g || g.gridStep === null) return
    const r = await useTransport().api['synthetic.grid']({ generatorId: id })
    if (!r.ok || selectedId.value !== id) return
    gridUrl.value = URL.createObjectURL(new Blob([r.value.bytes as Uint8Array<ArrayBuffer>], { type: r.value.mime }))
    gridStep.value = g.gridStep
  }

  async function select(id: number): Promise<void> {
    selectedId.value = id
    report.value = null
    const [r] = await Promise.all([useTransport().api['synthetic.report']({ generatorId: id }), loadGrid(id)])
    if (selectedId.value !== id) return
    if (r.ok) report.value = r.value
    else error.value = r.error.message
  }

  async function onProgress(): Promise<void> {
    if (Date.now() - lastRefresh >= REFRESH_MS) {
      lastRefresh = Date.now()
      await refreshGenerators()
    }
  }

  async function finished(s: JobSnapshot): Promise<void> {
    if (s.state === 'cancelled') {
      jobNote.value =
        s.kind === 'gan' ? 'Stopped at the last checkpoint; start the same generator again to resume it.' : s.kind === 'quality' ? 'Quality report cancelled.' : 'Generation stopped; the cells made so far are kept.'
    } else if (s.state === 'failed') jobError.value = s.error?.message ?? 'the job failed'
    else if (s.kind === 'quality' && s.result) {
      const r = s.result as QualityJobResult
      jobNote.value = `Quality report #${r.reportId} stored: ${r.classes.join(', ')}, judged by ${r.model}.`
      await refreshGenerators()
      const keep = selectedId.value !== null && r.generatorIds.includes(selectedId.value) ? selectedId.value : r.generatorIds[0]!
      await select(keep)
      return
    }
    else if (s.kind === 'generate' && s.result) {
      const r = s.result as GenerateJobResult
      jobNote.value = `${r.created} new ${r.class} cells generated (checkpoint at step ${r.checkpointStep}).`
    } else if (s.kind === 'gan' && s.result) {
      const r = s.result as GanJobResult
      jobNote.value = `${r.name}: ${r.steps} of ${r.targetSteps} steps done.`
    }
    await refreshGenerators()
    const r = s.result as GanJobResult | GenerateJobResult | null
    if (r && selectedId.value !== r.generatorId) await select(r.generatorId)
    else if (selectedId.value !== null) await loadGrid(selectedId.value)
  }

  async function begin(kind: 'gan' | 'generate' | 'quality', call: () => Promise<{ ok: true; value: { jobId: string } } | { ok: false; error: { message: string; issues?: { path: string; message: string }[] } }>): Promise<void> {
    if (running.value || starting.value) return
    jobError.value = null
    jobNote.value = null
    starting.value = true
    try {
      const r = await call()
      if (!r.ok) {
        jobError.value = r.error.issues?.length ? r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : r.error.message
        return
      }
      await followStarted(r.value.jobId, kind)
    } finally {
      starting.value = false
    }
  }

  /** Train a class's GAN (the same class and preset again resumes it). */
  function train(): Promise<void> {
    return begin('gan', () =>
      useTransport().api['gan.start']({ class: form.class, preset: form.preset, steps: form.steps, ...(form.datasetId ? { datasetId: form.datasetId } : {}) })
    )
  }

  /** Continue training the selected generator to more steps. */
  function resume(g: GeneratorSummary, steps: number): Promise<void> {
    const preset = g.preset.replace(/\+custom$/, '') as GanPresetName
    return begin('gan', () => useTransport().api['gan.start']({ class: g.class, preset, name: g.name, steps }))
  }

  function generate(): Promise<void> {
    const id = selectedId.value
    if (id === null) return Promise.resolve()
    return begin('generate', () => useTransport().api['synthetic.generate']({ generatorId: id, count: generateCount.value }))
  }

  /** Run the quality report on reportGenerators as a job (the default model judges, the store's labelled cells are the real ones). */
  function runReport(): Promise<void> {
    const ids = reportGenerators.value.map((g) => g.id)
    if (!ids.length) return Promise.resolve()
    return begin('quality', () => useTransport().api['synthetic.runReport']({ generatorIds: ids, perClass: reportForm.perClass, epochs: reportForm.epochs }))
  }

  return {
    generators, datasets, loaded, error, selectedId, selected, report, gridUrl, gridStep, form, generateCount, job, progress, jobError, jobNote,
    reportGenerators, reportForm, starting, running, load, select, refreshGenerators, train, resume, generate, runReport, cancel, stopWatching
  }
})
