// Worker-thread entry for training: one TrainingHost per thread (wasm is
// single-threaded in Node, so two of these use both cores). Started by
// trainer.ts through startTrainingWorker(); see docs/ml.md for how it runs
// from TypeScript sources (tests, CLI via tsx) and from a build.
import { parentPort } from 'node:worker_threads'
import { TrainingHost, type HostInit, type HostRequest } from './training-host'

const port = parentPort
if (!port) throw new Error('training-worker.ts must run in a worker thread')

const host = new TrainingHost()
type Request = { id: number } & ({ type: 'init'; init: HostInit } | HostRequest | { type: 'close' })

// Each request is answered whatever happens (an error becomes the reply); nothing is left floating.

const answer = async (msg: Request): Promise<void> => {
  try {
    if (msg.type === 'init') {
      const backend = await host.start(msg.init)
      port.postMessage({ id: msg.id, ok: true, value: { backend } })
    } else if (msg.type === 'close') {
      host.dispose()
      port.postMessage({ id: msg.id, ok: true, value: null })
    } else {
      const value = host.handle(msg)
      const transfer = 'scores' in value ? [value.scores.buffer as ArrayBuffer] : []
      port.postMessage({ id: msg.id, ok: true, value }, transfer)
    }
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) })
  }
}
port.on('message', (msg: Request) => void answer(msg))
