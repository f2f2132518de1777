// The Models screen's state: stored models and the default one, the runs and
// the selected run's report, and one training / cross-validation job at a
// time with its live progress (events, with a slow poll as a safety net).
// While a job runs, the run it works on is refreshed after every epoch so its
// training curves grow live.
import { defineStore } from 'pinia'
import { computed, reactive, ref } from 'vue'
import type { DatasetSummary, JobSnapshot, TrainingRequestInput } from '../../../shared/api'
import { DEFAULT_ARCHITECTURE_INPUT, type ModelArchitecture, type ModelSummary, type RunListItem, type RunReport, type TrainingJobResult, type TransferJobResult, type FineTuneModeName, type AdaptJobResult, type InputNormalisation } from '../../../shared/models'
import type { Progress } from '../../../shared/progress'
import { useTransport } from '../api/transport'
import { useJobFollower } from './job-follower'

export { POLL_MS } from '../api/job-watch'

export type TrainingMode = 'crossval' | 'train' | 'transfer'

/**
 * The training form: the contract's training request (src/shared/api, the
 * same fields the job protocol carries), with the input size always chosen,
 * and what each mode adds: folds (cross-validation, transfer), the held-out
 * share and whether the model becomes the default (training), the base model
 * and the fine-tunings to compare (transfer).
 */
export type TrainingForm = Omit<TrainingRequestInput, 'name' | 'inputSize'> & {
  mode: TrainingMode
  inputSize: number
  folds: number
  validationShare: number
  baseModelId: number | null
  modes: FineTuneModeName[]
  setDefault: boolean
}

const isTrainingJob = (j: JobSnapshot): boolean => j.kind === 'train' || j.kind === 'crossval' || j.kind === 'transfer' || j.kind === 'calibrate' || j.kind === 'adapt'

export const useModelsStore = defineStore('models', () => {
  const models = ref<ModelSummary[]>([])
  const runs = ref<RunListItem[]>([])
  const datasets = ref<DatasetSummary[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const error = ref<string | null>(null)

  const selectedRunId = ref<number | null>(null)
  const report = ref<RunReport | null>(null)
  const reportError = ref<string | null>(null)

  const form = reactive<TrainingForm>({
    mode: 'crossval',
    dataset: '',
    architecture: 'wnet',
    inputSize: DEFAULT_ARCHITECTURE_INPUT.wnet,
    epochs: 10,
    folds: 10,
    batchSize: 5,
    learningRate: 1e-4,
    dropoutOffEpochs: 0,
    schedule: 'constant',
    balance: 'none',
    augment: false,
    validationShare: 0.1,
    baseModelId: null,
    modes: ['all', 'head'],
    seed: 1,
    setDefault: false
  })

  /** The last finished site adaptation: before / after, the forgetting check, and its model (offered as the default, never made so by itself). */
  const adaptation = ref<AdaptJobResult | null>(null)

  let lastEpochSeen = -1
  const { job, progress, running, follow, followStarted, stopWatching, cancel } = useJobFollower({
    onFollow: () => {
      lastEpochSeen = -1
    },
    onProgress,
    onFinished: finished
  })
  const jobError = ref<string | null>(null)
  const starting = ref(false)
  /** The run the current job works on, once the core has named it. */
  const liveRunId = computed<number | null>(() => progress.value?.metrics?.runId ?? null)
  const defaultModel = computed(() => models.value.find((m) => m.isDefault) ?? null)

  async function load(): Promise<void> {
    const { api } = useTransport()
    loading.value = true
    try {
      const [m, r, d, j] = await Promise.all([api['models.list'](), api['runs.list'](), api['datasets.list'](), api['jobs.list']()])
      if (m.ok) models.value = m.value
      if (r.ok) runs.value = r.value
      if (d.ok) {
        datasets.value = d.value
        if (!form.dataset || !d.value.some((x) => x.name === form.dataset)) {
          const labelled = d.value.find((x) => Object.keys(x.labelCounts).some((l) => l !== ''))
          form.dataset = (labelled ?? d.value[0])?.name ?? ''
        }
      }
      const failed = [m, r, d].find((x) => !x.ok)
      error.value = failed && !failed.ok ? failed.error.message : null
      loaded.value = true
      // A training started elsewhere (another window, the CLI through the same server) or before a reload: follow it.
      if (j.ok && !running.value) {
        const live = j.value.find((x) => isTrainingJob(x) && x.state === 'running')
        if (live) follow(live)
      }
      if (selectedRunId.value === null && runs.value.length) await selectRun(runs.value[0]!.id)
    } finally {
      loading.value = false
    }
  }

  async function refreshLists(): Promise<void> {
    const { api } = useTransport()
    const [m, r] = await Promise.all([api['models.list'](), api['runs.list']()])
    if (m.ok) models.value = m.value
    if (r.ok) runs.value = r.value
  }

  async function selectRun(id: number): Promise<void> {
    selectedRunId.value = id
    if (report.value?.run.id !== id) report.value = null
    reportError.value = null
    const r = await useTransport().api['runs.get']({ id })
    if (selectedRunId.value !== id) return
    if (r.ok) report.value = r.value
    else reportError.value = r.error.message
  }

  function setArchitecture(a: ModelArchitecture): void {
    form.architecture = a
    form.inputSize = DEFAULT_ARCHITECTURE_INPUT[a]
  }

  async function onProgress(p: Progress, previous: Progress | null): Promise<void> {
    const before = previous?.metrics?.runId ?? null
    const runId = p.metrics?.runId ?? null
    if (runId === null) return
    if (before !== runId) {
      // The run exists now: list it and open its (growing) report, once; the user may then read another.
      await refreshLists()
      await selectRun(runId)
      return
    }
    // A finished epoch adds a point to the training curves.
    const epochKey = (p.metrics?.fold ?? 0) * 100_000 + (p.metrics?.epoch ?? 0)
    if (epochKey !== lastEpochSeen) {
      lastEpochSeen = epochKey
      if (selectedRunId.value === runId) await selectRun(runId)
    }
  }

  async function finished(snapshot: JobSnapshot): Promise<void> {
    if (snapshot.state === 'cancelled') jobError.value = 'Stopped. The run keeps its finished epochs and folds; start it again with the same settings to resume.'
    else if (snapshot.state === 'failed') jobError.value = snapshot.error?.message ?? 'the training failed'
    await refreshLists()
    if (snapshot.kind === 'adapt' && snapshot.state === 'succeeded' && snapshot.result) adaptation.value = snapshot.result as AdaptJobResult
    // A transfer job's report is its scratch arm's (which shows every arm side by side).
    const result = snapshot.result as (TrainingJobResult & { scratchRunId?: undefined }) | (TransferJobResult & { runId?: undefined }) | null
    const runId = result?.scratchRunId ?? result?.runId ?? snapshot.progress.metrics?.runId
    if (runId !== undefined && runId !== null) await selectRun(runId)
  }

  async function start(): Promise<void> {
    if (running.value || starting.value || !form.dataset) return
    if (form.mode === 'transfer' && form.baseModelId === null) {
      jobError.value = 'choose the pre-trained model to fine-tune'
      return
    }
    jobError.value = null
    starting.value = true
    try {
      const { api } = useTransport()
      const common = {
        dataset: form.dataset,
        architecture: form.architecture,
        inputSize: form.inputSize,
        epochs: form.epochs,
        batchSize: form.batchSize,
        learningRate: form.learningRate,
        dropoutOffEpochs: form.dropoutOffEpochs,
        schedule: form.schedule,
        balance: form.balance,
        augment: form.augment,
        seed: form.seed
      }
      const { architecture: _a, inputSize: _s, ...recipe } = common
      const r =
        form.mode === 'crossval'
          ? await api['crossval.start']({ ...common, folds: form.folds })
          : form.mode === 'transfer'
            ? await api['transfer.start']({ ...recipe, baseModelId: form.baseModelId!, folds: form.folds, modes: [...form.modes] })
            : await api['train.start']({ ...common, validationShare: form.validationShare, setDefault: form.setDefault })
      if (!r.ok) {
        jobError.value = r.error.issues?.length ? r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : r.error.message
        return
      }
      await followStarted(r.value.jobId, form.mode)
    } finally {
      starting.value = false
    }
  }

  /** Calibrates a model's Unidentified routing as a job (followed like a training); the models list shows the result. */
  async function calibrate(id: number, req: { other: string; fit?: string; wbc?: string; target: number }): Promise<boolean> {
    if (running.value || starting.value) return false
    jobError.value = null
    starting.value = true
    try {
      const { api } = useTransport()
      const r = await api['models.calibrate']({ id, ...req })
      if (!r.ok) {
        jobError.value = r.error.issues?.length ? r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : r.error.message
        return false
      }
      await followStarted(r.value.jobId, 'calibrate')
      return true
    } finally {
      starting.value = false
    }
  }

  /** Adapts a model to this site's labelled cells as a job (followed like a training); the result waits in `adaptation`. */
  async function adapt(req: { baseModelId: number; dataset: string; modelName?: string; epochs?: number; inputNormalisation?: InputNormalisation; signedSlidesOnly?: boolean }): Promise<boolean> {
    if (running.value || starting.value) return false
    jobError.value = null
    adaptation.value = null
    starting.value = true
    try {
      const r = await useTransport().api['adapt.start']({ ...req, setDefault: false })
      if (!r.ok) {
        jobError.value = r.error.issues?.length ? r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : r.error.message
        return false
      }
      await followStarted(r.value.jobId, 'adapt')
      return true
    } finally {
      starting.value = false
    }
  }

  /** The user's choice after reading an adaptation's figures: its model becomes the default. */
  async function makeAdaptedDefault(): Promise<void> {
    const id = adaptation.value?.modelId
    if (id === null || id === undefined) return
    await setDefault(id)
    if (adaptation.value && models.value.some((m) => m.id === id && m.isDefault)) adaptation.value = { ...adaptation.value, isDefault: true }
  }

  function dismissAdaptation(): void {
    adaptation.value = null
  }

  async function setDefault(id: number): Promise<void> {
    const r = await useTransport().api['models.setDefault']({ id })
    if (!r.ok) {
      error.value = r.error.message
      return
    }
    models.value = models.value.map((m) => ({ ...m, isDefault: m.id === id }))
  }

  return {
    models, runs, datasets, loaded, loading, error, selectedRunId, report, reportError, form, job, progress, jobError, starting, running,
    liveRunId, defaultModel, adaptation, load, refreshLists, selectRun, setArchitecture, start, calibrate, adapt, makeAdaptedDefault, dismissAdaptation, cancel, setDefault, stopWatching
  }
})
