// Entry of a worker machine's training thread: trains one fold of a run (or a
// whole training run) from the run's snapshot, resuming from the checkpoint
// the server handed over, and reports each finished epoch (figures and the
// checkpoint folder, packed) and the final result (./fold-result) to the
// worker's main thread, which uploads them. Training runs here, not in the
// main thread, so BullMQ's lock renewal and the heartbeats there never wait
// behind a CPU-bound batch (docs/scale.md).
import { parentPort, workerData } from 'node:worker_threads'
import { readFile, rm } from 'node:fs/promises'
import type { TrainingJobData } from '../../shared/workers'
import { decodeSnapshot } from './snapshot'
import { encodeFoldResult } from './fold-result'

export interface FoldWorkerData {
  job: TrainingJobData
  snapshotPath: string
  checkpointDir: string
  /** The server's checkpoint of this fold (absent: start from epoch 0). */
  checkpoint?: Uint8Array
  threads: number
}

export type FoldWorkerMessage =
  | { type: 'progress'; done: number; total: number; epoch: number; message: string }
  | { type: 'epoch'; record: Record<string, unknown> & { epoch: number }; bytes: Uint8Array }
  | { type: 'done'; bytes: Uint8Array; backend: string }
  | { type: 'failed'; message: string; cancelled: boolean }

const port = parentPort
if (!port) throw new Error('fold-worker must run in a worker thread')
const data = workerData as FoldWorkerData
const controller = new AbortController()
port.on('message', (m: { type: 'cancel' }) => {
  if (m.type === 'cancel') controller.abort()
})
const post = (m: FoldWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer)

try {
  const job = data.job
  // The snapshot first: a missing or altered one fails before TensorFlow.js is loaded.
  const snap = decodeSnapshot(await readFile(data.snapshotPath), job.snapshot.sha256)
  const { train, TrainingAborted } = await import('../ml/train/trainer')
  const { foldSplit, scoreFold } = await import('../ml/train/cross-validation')
  const { packDir, unpackDir } = await import('../ml/train/run-resume')
  // The server's checkpoint is the one that counts (what this machine may have left from an earlier attempt is not).
  await rm(data.checkpointDir, { recursive: true, force: true })
  if (data.checkpoint) await unpackDir(data.checkpoint, data.checkpointDir)
  let trainIdx: number[]
  let testIdx: number[]
  if (job.kind === 'crossval-fold') ({ trainIdx, testIdx } = foldSplit(snap.folds.map((f) => f ?? -1), job.fold))
  else {
    trainIdx = []
    testIdx = []
    snap.roles.forEach((r, i) => (r === 'validation' ? testIdx : trainIdx).push(i))
  }
  const settings = job.settings as unknown as Parameters<typeof train>[0]
  const spec = { ...job.spec, architecture: job.spec.architecture as Parameters<typeof train>[0]['spec']['architecture'] }
  const B = Number(settings.batchSize)
  const foldSteps = Math.ceil(trainIdx.length / B) * Number(settings.epochs)
  let epoch = 0
  try {
    const result = await train({
      ...settings,
      spec,
      cells: snap,
      trainIndices: trainIdx,
      validationIndices: job.validateEachEpoch && testIdx.length ? testIdx : undefined,
      workers: data.threads,
      checkpointDir: data.checkpointDir,
      signal: controller.signal,
      task: job.kind,
      onProgress: (p) => {
        // The runtime counts the steps left from where it resumed; the server wants the fold's.
        post({ type: 'progress', done: foldSteps - p.total + p.done, total: foldSteps, epoch, message: p.message ?? '' })
      },
      onEpoch: async (e) => {
        epoch = e.epoch
        const bytes = await packDir(data.checkpointDir)
        post({ type: 'epoch', record: { ...e }, bytes }, [bytes.buffer as ArrayBuffer])
      }
    })
    // A training run without held-out cells has nothing to score.
    const scored = testIdx.length
      ? scoreFold(spec, result.weights, snap, testIdx, snap.classes)
      : { model: undefined, record: { report: null as never, imageIds: [], truth: [], scores: [] } }
    scored.model?.dispose()
    const header = {
      format: 'wbc-fold-result/1' as const,
      kind: job.kind,
      runId: job.runId,
      fold: job.fold,
      record: { ...scored.record, epochs: Number(settings.epochs), trainCells: trainIdx.length, resumedFromEpoch: result.resumedFromEpoch },
      trainedEpochs: result.history.filter((h) => h.epoch > result.resumedFromEpoch).map((h) => h.epoch),
      history: result.history,
      backend: result.backend
    }
    const bytes = encodeFoldResult(header, result.weights)
    post({ type: 'done', bytes, backend: result.backend }, [bytes.buffer as ArrayBuffer])
  } catch (err) {
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err), cancelled: err instanceof TrainingAborted || controller.signal.aborted })
  }
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err), cancelled: false })
} finally {
  port.close()
}
