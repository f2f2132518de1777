// How a worker machine calls the lab server (`POST /api/worker/<name>` with
// its credential as a bearer token; src/server/worker-routes.ts): JSON both
// ways, or raw bytes with the rest of the payload in the X-Wbc-Meta header.
// A refusal comes back as a WorkerCallError carrying the contract's code, so
// the worker tells "revoked" (forbidden) from "try again" without reading
// message text.
import { fromWire } from '../../shared/wire'
import type { Result } from '../../shared/api'

export class WorkerCallError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = 'WorkerCallError'
  }
}

export interface WorkerClient {
  call<T>(name: string, payload: object, bytes?: Uint8Array): Promise<T>
  readonly server: string
}

export function workerClient(server: string, secret: string): WorkerClient {
  const base = server.endsWith('/') ? server : `${server}/`
  return {
    server: base,
    async call<T>(name: string, payload: object, bytes?: Uint8Array): Promise<T> {
      const url = new URL(`api/worker/${name}`, base)
      const headers: Record<string, string> = { Authorization: `Bearer ${secret}` }
      let body: string | Uint8Array
      if (bytes) {
        headers['Content-Type'] = 'application/octet-stream'
        headers['X-Wbc-Meta'] = encodeURIComponent(JSON.stringify(payload))
        body = bytes
      } else {
        headers['Content-Type'] = 'application/json'
        body = JSON.stringify(payload)
      }
      let res: Response
      try {
        res = await fetch(url, { method: 'POST', headers, body })
      } catch (err) {
        throw new WorkerCallError('unavailable', `cannot reach the server at ${base}: ${(err as Error).message}`)
      }
      if ((res.headers.get('content-type') ?? '').startsWith('application/octet-stream')) {
        const meta = res.headers.get('x-wbc-meta')
        const fields = meta ? (JSON.parse(decodeURIComponent(meta)) as object) : {}
        return { ...fields, bytes: new Uint8Array(await res.arrayBuffer()) } as T
      }
      const text = await res.text()
      let result: Result<T>
      try {
        result = fromWire(text) as Result<T>
      } catch {
        throw new WorkerCallError('internal', `the server answered ${res.status} without a result`)
      }
      if (!result.ok) throw new WorkerCallError(result.error.code, result.error.message)
      return result.value
    }
  }
}
