// What a worker sends back when it finishes a fold (or a training run): one
// blob, checked by its SHA-256 on the server, of a JSON header (the fold's
// record: test scores, report, epochs; the worker's backend and versions)
// and the trained weights as float32 (the layout the trainer keeps).
//
//   "WBCRSLT1" | u32 LE header length | header JSON | weights (float32 LE)
import type { FoldRecord } from '../ml/train/cross-validation'
import type { EpochRecord } from '../ml/train/trainer'

const MAGIC = 'WBCRSLT1'

export interface FoldResultHeader {
  format: 'wbc-fold-result/1'
  kind: 'crossval-fold' | 'train'
  runId: number
  fold: number
  record: FoldRecord
  /** The epochs this attempt trained (resumed ones excluded): what the queue's "never twice" promise is checked by. */
  trainedEpochs: number[]
  history: EpochRecord[]
  backend: string
}

export function encodeFoldResult(header: FoldResultHeader, weights: Float32Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32LE(json.length)
  // Float32 data starts 4-byte aligned in a fresh buffer on the other side (it is copied out).
  return Buffer.concat([Buffer.from(MAGIC, 'ascii'), len, json, Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength)])
}

export function decodeFoldResult(bytes: Uint8Array): { header: FoldResultHeader; weights: Float32Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.subarray(0, 8).toString('ascii') !== MAGIC) throw new Error('not a fold result')
  const n = buf.readUInt32LE(8)
  const header = JSON.parse(buf.subarray(12, 12 + n).toString('utf8')) as FoldResultHeader
  if (header.format !== 'wbc-fold-result/1') throw new Error(`unknown fold result format ${String(header.format)}`)
  const body = buf.subarray(12 + n)
  if (body.length % 4) throw new Error('fold result weights are not float32')
  const weights = new Float32Array(body.length / 4)
  new Uint8Array(weights.buffer).set(body)
  return { header, weights }
}
