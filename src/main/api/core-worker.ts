// Entry of the core host's worker thread: opens the workstation (store, job
// runner, handlers) and serves calls from the shell's thread. See ./host.
import { parentPort, workerData } from 'node:worker_threads'
import type { CoreWorkerData, HostMessage, HostRequest } from './host'
import { openWorkstation } from './index'
import { openStore, releaseWorkOf } from '../store'

const port = parentPort
if (!port) throw new Error('core-worker must run in a worker thread')
const post = (msg: HostMessage): void => port.postMessage(msg)

let ws
try {
  const { releaseOrphans, ...opts } = workerData as CoreWorkerData
  if (releaseOrphans) {
    // An earlier core of this process died: what it held as running is not running any more.
    const db = openStore(opts.dbPath, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {})
    try {
      releaseWorkOf(db, process.pid)
    } finally {
      db.close()
    }
  }
  ws = openWorkstation(opts)
} catch (err) {
  post({ type: 'fatal', message: `cannot open the workstation: ${(err as Error).message}` })
  port.close()
  throw err
}
const workstation = ws
workstation.events.subscribe((event) => post({ type: 'event', event }))
port.on('message', (msg: HostRequest) => {
  if (msg.type === 'call') {
    void workstation.dispatch(msg.method, msg.payload, msg.principal).then((result) => post({ type: 'result', id: msg.id, result }))
  } else if (msg.type === 'close') {
    void workstation.close().finally(() => {
      post({ type: 'closed' })
      port.close()
    })
  }
})
post({ type: 'ready' })
