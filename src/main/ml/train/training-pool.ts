// Where training computations run: N worker threads, or the calling thread.
//
// Worker threads run src/main/ml/train/training-worker.ts, started through src/main/workers.ts
// (from TypeScript sources or from the bundle's training-worker.js).
// WBC_ML_WORKER=/path/to/worker.(js|ts) overrides the location.
import { Worker } from 'node:worker_threads'
import { pathToFileURL } from 'node:url'
import { spawnWorker, workerEntryUrl } from '../../workers'
import { TrainingHost, type HostInit, type HostReply, type HostRequest } from './training-host'

export interface ComputePool {
  readonly size: number
  readonly backend: string
  call(k: number, req: HostRequest): Promise<HostReply>
  close(): Promise<void>
}

/** The training worker: WBC_ML_WORKER if set, else the bundle's training-worker.js or src/main/ml/train/training-worker.ts. */
export function startTrainingWorker(): Worker {
  const override = process.env.WBC_ML_WORKER
  return spawnWorker(override ? pathToFileURL(override) : workerEntryUrl('training-worker'))
}

class WorkerPool implements ComputePool {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private failure: Error | undefined
  backend = ''

  constructor(private readonly workers: Worker[]) {
    workers.forEach((w, k) => {
      w.on('message', (msg: { id: number; ok: boolean; value?: unknown; error?: string }) => {
        const p = this.pending.get(msg.id)
        if (!p) return
        this.pending.delete(msg.id)
        if (msg.ok) p.resolve(msg.value)
        else p.reject(new Error(`training worker ${k}: ${msg.error}`))
      })
      const fail = (err: Error) => {
        this.failure ??= err
        for (const p of this.pending.values()) p.reject(err)
        this.pending.clear()
      }
      w.on('error', (err) => fail(new Error(`training worker ${k} failed: ${err.message}`)))
      w.on('exit', (code) => fail(new Error(`training worker ${k} exited (code ${code})`)))
    })
  }

  get size(): number {
    return this.workers.length
  }

  send<T>(k: number, msg: object): Promise<T> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.workers[k].postMessage({ ...msg, id })
    })
  }

  call(k: number, req: HostRequest): Promise<HostReply> {
    return this.send<HostReply>(k, req)
  }

  async close(): Promise<void> {
    this.failure ??= new Error('pool closed')
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}

class InlinePool implements ComputePool {
  readonly size = 1
  constructor(private readonly host: TrainingHost) {}
  get backend(): string {
    return this.host.backendName
  }
  async call(_k: number, req: HostRequest): Promise<HostReply> {
    return this.host.handle(req)
  }
  async close(): Promise<void> {
    this.host.dispose()
  }
}

/** workers = 0: compute in this thread. Otherwise that many worker threads. */
export async function openPool(workers: number, init: (k: number) => HostInit): Promise<ComputePool> {
  if (workers <= 0) {
    const host = new TrainingHost()
    await host.start(init(0))
    return new InlinePool(host)
  }
  const list = Array.from({ length: workers }, () => startTrainingWorker())
  const pool = new WorkerPool(list)
  try {
    const answers = await Promise.all(
      list.map((_, k) => pool.send<{ backend: string }>(k, { type: 'init', init: init(k) }))
    )
    pool.backend = answers[0].backend
  } catch (err) {
    await pool.close()
    throw err
  }
  return pool
}
