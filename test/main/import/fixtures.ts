// Building import folders in a temp dir from real cells of the
// committed fixtures (test/fixtures/cells), plus generated bad files for the edge cases.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { realCells } from '../../helpers/datasets'

export function tempDir(prefix = 'wbc-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Copies `n` real cells of dataset/class into dir/folder; returns the copied paths. */
export function copyCells(dataset: string, cls: string, n: number, dir: string, folder: string, offset = 0): string[] {
  const dest = join(dir, folder)
  mkdirSync(dest, { recursive: true })
  return realCells(dataset, cls, offset + n)
    .slice(offset)
    .map((src) => {
      const to = join(dest, basename(src))
      copyFileSync(src, to)
      return to
    })
}

export function writeFile(path: string, data: Uint8Array | string): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, data)
  return path
}

export function read(path: string): Buffer {
  return readFileSync(path)
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(b: Uint8Array): number {
  let c = 0xffffffff
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/**
 * A decompression bomb stand-in: a valid small PNG whose header claims
 * width x height (CRC fixed up), as a hostile file would.
 */
export function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png)
  // Signature (8) + IHDR length (4) + 'IHDR' (4), then width, height.
  if (out.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG with IHDR first')
  out.writeUInt32BE(width, 16)
  out.writeUInt32BE(height, 20)
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29)
  return out
}
