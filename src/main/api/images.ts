// Cell images for display. Browsers show JPEG and PNG as they are, so those
// originals go out byte for byte; TIFF and BMP originals are rendered to PNG
// (sharp cannot read BMP, so bmp-ts decodes it first).
import sharp from 'sharp'
import { decode as decodeBmp } from 'bmp-ts'
import type { CellImage } from '../../shared/api'
import { MAX_INPUT_PIXELS } from '../imaging/preprocess'

export async function displayImage(bytes: Uint8Array, format: string): Promise<CellImage> {
  const view = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  if (format === 'jpeg') return { mime: 'image/jpeg', bytes: view(bytes) }
  if (format === 'png') return { mime: 'image/png', bytes: view(bytes) }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let png: Buffer
  if (format === 'bmp') {
    const bmp = decodeBmp(buf, { toRGBA: true })
    if (bmp.width * bmp.height > MAX_INPUT_PIXELS) throw new Error('image too large to display')
    png = await sharp(bmp.data, { raw: { width: bmp.width, height: Math.abs(bmp.height), channels: 4 } }).png().toBuffer()
  } else {
    png = await sharp(buf, { limitInputPixels: MAX_INPUT_PIXELS }).png().toBuffer()
  }
  return { mime: 'image/png', bytes: view(png) }
}
