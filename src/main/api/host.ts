// Runs the workstation's API in its own worker thread, so the shell's thread
// (Electron's main loop, the server's request loop) never waits on SQLite:
// better-sqlite3 is synchronous, and even quick reads of image blobs add up
// when a gallery asks for hundreds of cells. The shell keeps only the
// transport; calls and events cross as structured-clone messages.
import type { ApiEvent, Result } from '../../shared/api'
import type { EventListener } from './events'
import type { Workstation, WorkstationOptions } from './index'
import { spawnWorker, workerEntryUrl } from '../workers'

export type HostRequest = { type: 'call'; id: number; method: unknown; payload: unknown } | { type: 'close' }
export type HostMessage =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; event: ApiEvent }
  | { type: 'closed' }

export async function startWorkstationHost(opts: WorkstationOptions): Promise<Workstation> {
  const worker = spawnWorker(workerEntryUrl('core-worker'), { workerData: opts })
  const pending = new Map<number, (r: Result<unknown>) => void>()
  const listeners = new Set<EventListener>()
  let nextId = 1
  let dead: string | null = null

  const failAll = (message: string): void => {
    dead = message
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'internal', message } })
    pending.clear()
  }

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (msg: HostMessage) => {
      switch (msg.type) {
        case 'ready':
          resolve()
          break
        case 'fatal':
          reject(new Error(msg.message))
          break
        case 'result':
          pending.get(msg.id)?.(msg.result)
          pending.delete(msg.id)
          break
        case 'event':
          for (const l of [...listeners]) l(msg.event)
          break
      }
    })
    worker.on('error', (err) => {
      reject(err)
      failAll(`the workstation core stopped: ${err.message}`)
    })
    worker.on('exit', (code) => {
      reject(new Error(`the workstation core exited (code ${code})`))
      failAll(`the workstation core exited (code ${code})`)
    })
  })
  await ready

  return {
    dispatch(method, payload) {
      if (dead) return Promise.resolve({ ok: false, error: { code: 'internal', message: dead } })
      const id = nextId++
      return new Promise((resolve) => {
        pending.set(id, resolve)
        try {
          worker.postMessage({ type: 'call', id, method, payload } satisfies HostRequest)
        } catch (err) {
          // A payload that cannot be cloned (a function, a DOM object) is a bad payload.
          pending.delete(id)
          resolve({ ok: false, error: { code: 'invalid_input', message: `payload cannot be sent: ${(err as Error).message}` } })
        }
      })
    },
    events: {
      subscribe(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      }
    },
    async close() {
      if (dead) return
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
      worker.postMessage({ type: 'close' } satisfies HostRequest)
      const timer = setTimeout(() => void worker.terminate(), 15_000)
      await exited
      clearTimeout(timer)
    }
  }
}
