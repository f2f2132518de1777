// One rendering for every cell a blind session shows, real or generated, so
// nothing in the image file can tell them apart: both are brought to the same
// source resolution (the generators' size, in W-Net's crop), resized to the
// display size with the same filter, and written as an uncompressed PNG with
// fixed options and no metadata chunks. Uncompressed, every file of a session
// has exactly the same byte length (a compressed PNG's length would leak how
// smooth the content is).
import sharp from 'sharp'
import { decodeCell } from '../imaging/decode.js'
import { syntheticPixels } from '../synthetic/cells.js'

export interface RenderSpec {
  /** Resolution every cell is brought to first (the generated cells' size). */
  sourceSize: number
  /** Side of the PNG served. */
  displaySize: number
}

async function toDisplayPng(pixels: Uint8Array, spec: RenderSpec): Promise<Buffer> {
  const png = await sharp(pixels, { raw: { width: spec.sourceSize, height: spec.sourceSize, channels: 3 } })
    .resize(spec.displaySize, spec.displaySize, { kernel: 'lanczos3', fit: 'fill' })
    .png({ compressionLevel: 0, adaptiveFiltering: false, palette: false, force: true })
    .toBuffer()
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
