// A run's frozen cells, as a worker machine trains on them: one binary blob
// named by its SHA-256, holding the preprocessed pixels at the run's input
// size (the workstation's own preprocessing, so a worker needs no decoder and
// trains on exactly what a local run would), each cell's image id, label
// version (label id), class index, fold and role. The server builds it once
// per run content (content-addressed: two runs on the same cells share it)
// beside the database, and serves it to workers by hash; a worker caches it
// by hash and checks the hash whenever it reads it. Redis never sees it.
//
//   "WBCSNAP1" | u32 LE header length | header JSON | pixels (N x S x S x 3, uint8)
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CellSet } from '../ml/data/cell-set'

const MAGIC = 'WBCSNAP1'

export interface SnapshotCell {
  imageId: number
  labelId: number | null
  label: number
  fold: number | null
  role: string
}

export interface SnapshotHeader {
  format: 'wbc-run-snapshot/1'
  inputSize: number
  classes: string[]
  cells: SnapshotCell[]
}

/** A decoded snapshot: a CellSet the trainer takes, plus each cell's fold, role and ids. */
export interface RunSnapshot extends CellSet {
  imageIds: number[]
  folds: (number | null)[]
  roles: string[]
  header: SnapshotHeader
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

export function encodeSnapshot(header: SnapshotHeader, pixels: Uint8Array): Uint8Array {
  const per = header.inputSize * header.inputSize * 3
  if (pixels.length !== per * header.cells.length) throw new Error('snapshot pixels do not match its cells')
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32LE(json.length)
  return Buffer.concat([Buffer.from(MAGIC, 'ascii'), len, json, Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength)])
}

/** Decodes a snapshot whose hash must be `sha256` (a download cut short or altered is refused). */
export function decodeSnapshot(bytes: Uint8Array, sha256: string): RunSnapshot {
  if (sha256Hex(bytes) !== sha256) throw new Error(`snapshot ${sha256.slice(0, 12)}: the bytes do not match their hash`)
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.subarray(0, 8).toString('ascii') !== MAGIC) throw new Error('not a run snapshot')
  const n = buf.readUInt32LE(8)
  const header = JSON.parse(buf.subarray(12, 12 + n).toString('utf8')) as SnapshotHeader
  if (header.format !== 'wbc-run-snapshot/1') throw new Error(`unknown snapshot format ${String(header.format)}`)
  const body = buf.subarray(12 + n)
  // Training threads read the pixels without copies from a SharedArrayBuffer.
  const pixels = new Uint8Array(new SharedArrayBuffer(body.length))
  pixels.set(body)
  return {
    pixels,
    labels: Int32Array.from(header.cells.map((c) => c.label)),
    size: header.inputSize,
    classes: header.classes,
    imageIds: header.cells.map((c) => c.imageId),
    folds: header.cells.map((c) => c.fold),
    roles: header.cells.map((c) => c.role),
    header
  }
}

/** Writes a snapshot under `dir` by its hash (once: the same content is the same file); returns the hash. */
export async function storeSnapshot(dir: string, bytes: Uint8Array): Promise<string> {
  const sha = sha256Hex(bytes)
  const file = snapshotFile(dir, sha)
  if (existsSync(file)) return sha
  await mkdir(dir, { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, bytes)
  await rename(tmp, file)
  return sha
}

export function snapshotFile(dir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('a snapshot is named by its SHA-256')
  return join(dir, `${sha256}.bin`)
}

/** A stored snapshot's bytes, checked against its name; undefined when absent. */
export async function readSnapshot(dir: string, sha256: string): Promise<Uint8Array | undefined> {
  const file = snapshotFile(dir, sha256)
  if (!existsSync(file)) return undefined
  const bytes = await readFile(file)
  if (sha256Hex(bytes) !== sha256) throw new Error(`snapshot ${sha256.slice(0, 12)} on disk does not match its hash`)
  return bytes
}
