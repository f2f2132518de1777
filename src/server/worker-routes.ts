// The worker machines' door into the lab server (docs/scale.md):
//
//   POST /api/worker/<name>   the contract's `worker.<name>` method
//
// Only a worker credential opens it (`Authorization: Bearer wbcw_...`; no
// cookie, no session, no start token), and the dispatcher lets that
// credential call the worker methods and nothing else. Payloads are JSON, or
// for checkpoints and results raw bytes (application/octet-stream) with the
// rest of the payload as JSON in the X-Wbc-Meta header: a checkpoint at
// 128 px is tens of megabytes, which base64 in JSON would inflate and the
// 1 MiB JSON limit of the other routes refuses. An answer holding bytes (a
// snapshot, a checkpoint) comes back the same way.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fail, isMethod, type Result } from '../shared/api'
import { toWire } from '../shared/wire'
import type { Workstation } from '../main/api'

const MAX_JSON = 1 << 20
/** A checkpoint or a model: W-Net at 128 px with its Adam moments is well under this. */
const MAX_BINARY = 1 << 30
export const META_HEADER = 'x-wbc-meta'

const STATUS: Record<string, number> = { forbidden: 403, not_found: 404, conflict: 409, invalid_input: 400, unknown_method: 404 }

function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= limit) chunks.push(c)
    })
    req.on('end', () => (size > limit ? reject(Object.assign(new Error('too large'), { status: 413 })) : resolve(Buffer.concat(chunks))))
    req.on('error', reject)
  })
}

function reply(res: ServerResponse, status: number, body: string | Uint8Array, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra })
  res.end(body)
}

const replyResult = (res: ServerResponse, result: Result<unknown>): void =>
  reply(res, result.ok ? 200 : (STATUS[result.error.code] ?? 500), toWire(result), 'application/json; charset=utf-8')

export async function handleWorkerCall(req: IncomingMessage, res: ServerResponse, name: string, workstation: Pick<Workstation, 'dispatch'>): Promise<void> {
  const auth = req.headers.authorization
  if (!auth?.startsWith('Bearer ')) return replyResult(res, fail('forbidden', 'a worker credential is needed (Authorization: Bearer ...)'))
  const method = `worker.${name}`
  if (req.method !== 'POST') return replyResult(res, fail('invalid_input', 'use POST'))
  if (!/^[A-Za-z]+$/.test(name) || !isMethod(method)) return replyResult(res, fail('unknown_method', `no such worker method: ${name.slice(0, 80)}`))
  const type = (req.headers['content-type'] ?? '').toLowerCase()
  let payload: unknown
  try {
    if (type.startsWith('application/octet-stream')) {
      const meta = req.headers[META_HEADER]
      const fields = typeof meta === 'string' && meta ? (JSON.parse(decodeURIComponent(meta)) as Record<string, unknown>) : {}
      const body = await readRaw(req, MAX_BINARY)
      payload = { ...fields, bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) }
    } else if (type.startsWith('application/json')) {
      const body = (await readRaw(req, MAX_JSON)).toString('utf8')
      payload = body.trim() === '' ? undefined : JSON.parse(body)
    } else {
      return reply(res, 415, toWire(fail('invalid_input', 'send JSON, or bytes as application/octet-stream')), 'application/json; charset=utf-8')
    }
  } catch (err) {
    const status = (err as { status?: number }).status ?? 400
    return reply(res, status, toWire(fail('invalid_input', status === 413 ? 'payload too large' : 'payload is not valid')), 'application/json; charset=utf-8')
  }
  const result = await workstation.dispatch(method, payload, { workerSecret: auth.slice(7).trim() })
  if (result.ok && result.value && typeof result.value === 'object' && (result.value as { bytes?: unknown }).bytes instanceof Uint8Array) {
    const { bytes, ...meta } = result.value as { bytes: Uint8Array }
    return reply(res, 200, bytes, 'application/octet-stream', { [META_HEADER]: encodeURIComponent(JSON.stringify(meta)) })
  }
  replyResult(res, result)
}
