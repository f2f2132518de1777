// Entry of the core host's worker thread: opens the workstation (store, job
// runner, handlers) and serves calls from the shell's thread. See ./host.
import { parentPort, workerData } from 'node:worker_threads'
import type { HostMessage, HostRequest } from './host'
import { openWorkstation, type WorkstationOptions } from './index'

const port = parentPort
if (!port) throw new Error('core-worker must run in a worker thread')
const post = (msg: HostMessage): void => port.postMessage(msg)

let ws
try {
  ws = openWorkstation(workerData as WorkstationOptions)
} catch (err) {
  post({ type: 'fatal', message: `cannot open the workstation: ${(err as Error).message}` })
  port.close()
  throw err
}
const workstation = ws
workstation.events.subscribe((event) => post({ type: 'event', event }))
port.on('message', (msg: HostRequest) => {
  if (msg.type === 'call') {
    void workstation.dispatch(msg.method, msg.payload).then((result) => post({ type: 'result', id: msg.id, result }))
  } else if (msg.type === 'close') {
    void workstation.close().finally(() => {
      post({ type: 'closed' })
      port.close()
    })
  }
})
post({ type: 'ready' })
