// One rendering for every cell a blind session shows, real or generated, so
// nothing in the image file can tell them apart: both are brought to the same
// source resolution (the generators' size, in W-Net's crop), resized to the
// display size with the same filter, and written as an uncompressed PNG with
// fixed options and no metadata chunks. Uncompressed, every file of a session
// has exactly the same byte length (a compressed PNG's length would leak how
// smooth the content is).
//
// Each render is also varied by the session's secret (./secret): the cell is
// resized a few pixels larger than the display and a keyed window of it is
// cut out (a shift and a slight zoom), then every channel value is dithered
// by a keyed -2..+2. Without the secret, rendering the stored cells "the
// public way" gives bytes that match nothing the session served, so a reader
// cannot look a served cell up among the stored ones by its bytes or hash;
// the variation is far below what an eye reading a cell notices.
import sharp from 'sharp'
import { keyedBytes, keyedRandom } from './secret'
import { decodeCell } from '../imaging/decode'
import { syntheticPixels } from '../synthetic/cells'

export interface RenderSpec {
  /** Resolution every cell is brought to first (the generated cells' size). */
  sourceSize: number
  /** Side of the PNG served. */
  displaySize: number
  /** The session secret and this cell's place: the keyed shift and dither. Absent: the plain render. */
  variation?: { secret: string; cell: string }
}

/** Extra pixels the cell is resized by before the keyed window is cut (0..MAX_MARGIN). */
const MAX_MARGIN = 4
const DITHER = 2

async function toDisplayPng(pixels: Uint8Array, spec: RenderSpec): Promise<Buffer> {
  const d = spec.displaySize
  let image = sharp(pixels, { raw: { width: spec.sourceSize, height: spec.sourceSize, channels: 3 } })
  let raw: Buffer
  if (spec.variation) {
    const r = keyedRandom(spec.variation.secret, `render:${spec.variation.cell}`)
    const margin = Math.floor(r() * (MAX_MARGIN + 1))
    const left = Math.floor(r() * (margin + 1))
    const top = Math.floor(r() * (margin + 1))
    const resized = await image.resize(d + margin, d + margin, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer()
    raw = await sharp(resized, { raw: { width: d + margin, height: d + margin, channels: 3 } }).extract({ left, top, width: d, height: d }).raw().toBuffer()
    const noise = keyedBytes(spec.variation.secret, `dither:${spec.variation.cell}`, raw.length)
    for (let i = 0; i < raw.length; i++) raw[i] = Math.max(0, Math.min(255, raw[i] + (noise[i] % (2 * DITHER + 1)) - DITHER))
  } else {
    raw = await image.resize(d, d, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer()
  }
  image = sharp(raw, { raw: { width: d, height: d, channels: 3 } })
  const png = await image.png({ compressionLevel: 0, adaptiveFiltering: false, palette: false, force: true }).toBuffer()
  return onlyCriticalChunks(png)
}

/** The PNG with only IHDR, IDAT and IEND (libvips adds pHYs; nothing ancillary should ride along). */
export function onlyCriticalChunks(png: Buffer): Buffer {
  const parts: Buffer[] = [png.subarray(0, 8)]
  let off = 8
  while (off + 8 <= png.length) {
    const len = png.readUInt32BE(off)
    const type = png.toString('latin1', off + 4, off + 8)
    if (type === 'IHDR' || type === 'IDAT' || type === 'IEND') parts.push(png.subarray(off, off + 12 + len))
    off += 12 + len
  }
  return Buffer.concat(parts)
}

/** A real cell's original file bytes (any stored format) as the session's PNG. */
export async function renderRealCell(originalBytes: Uint8Array, spec: RenderSpec): Promise<Buffer> {
  const { pixels } = await decodeCell(originalBytes, { size: spec.sourceSize })
  return toDisplayPng(pixels, spec)
}

/** A generated cell's stored PNG as the session's PNG. */
export async function renderGeneratedCell(png: Uint8Array, spec: RenderSpec): Promise<Buffer> {
  return toDisplayPng(await syntheticPixels(png, spec.sourceSize), spec)
}

/** PNG chunk types in file order (for checks that no metadata rides along). */
export function pngChunkTypes(png: Uint8Array): string[] {
  const out: string[] = []
  let off = 8
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  while (off + 8 <= png.length) {
    const len = view.getUint32(off)
    out.push(String.fromCharCode(png[off + 4], png[off + 5], png[off + 6], png[off + 7]))
    off += 12 + len
  }
  return out
}
