// Turning the bytes of one cell image file into W-Net's preprocessed pixels,
// with a plain reason when the file can't be: not an image, truncated,
// corrupt, or too large to decode safely. The format is told from the bytes,
// never from the file name. BMP goes through a small JS decoder because sharp
// has no BMP loader; everything else through sharp.
import { decode as decodeBmp } from 'bmp-ts'
import type { ImageFormat } from '../store/images'
import { MAX_INPUT_PIXELS, PAPER_INPUT_SIZE, preprocessCellWithSize } from './preprocess'

/** Cache key of the preprocessed pixels this module produces (bump when preprocessCell changes). */
export const WNET_RECIPE = 'wnet-central-crop-v1'

export type DecodeFailure = 'zero-byte' | 'not-an-image' | 'truncated' | 'corrupt' | 'too-large'

export class CellDecodeError extends Error {
  constructor(
    readonly reason: DecodeFailure,
    message: string
  ) {
    super(message)
    this.name = 'CellDecodeError'
  }
}

export interface DecodedCell {
  format: ImageFormat
  width: number
  height: number
  /** size x size x 3 uint8 RGB, HWC. */
  pixels: Uint8Array
}

/** The image format the bytes start with, or undefined for anything else. */
export function sniffFormat(b: Uint8Array): ImageFormat | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a) return 'png'
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp'
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0x00) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0x00 && b[3] === 0x2a)))
    return 'tiff'
  return undefined
}

/** Decodes, crops and resizes one cell image file's bytes (see preprocessCell). */
export async function decodeCell(
  bytes: Uint8Array,
  opts: { size?: number; maxPixels?: number } = {}
): Promise<DecodedCell> {
  const size = opts.size ?? PAPER_INPUT_SIZE
  const maxPixels = opts.maxPixels ?? MAX_INPUT_PIXELS
  if (bytes.length === 0) throw new CellDecodeError('zero-byte', 'the file is empty (0 bytes)')
  const format = sniffFormat(bytes)
  if (!format) {
    throw new CellDecodeError('not-an-image', `not a JPEG, PNG, BMP or TIFF image (file starts with ${describeStart(bytes)})`)
  }
  if (format === 'bmp') return { format, ...(await decodeBmpCell(bytes, size, maxPixels)) }
  // Decoders fill a cut-off image with grey and some only warn; and under
  // concurrency libvips may report a truncation as "Unknown error". The file
  // structure tells truncation reliably, so it is checked first.
  if (!hasEndMarker(format, bytes)) {
    throw new CellDecodeError('truncated', `the ${format.toUpperCase()} file is truncated (its end marker is missing; ${bytes.length} bytes)`)
  }
  try {
    const cell = await preprocessCellWithSize(bytes, size, undefined, maxPixels)
    checkPixels(cell.width, cell.height, maxPixels)
    return { format, ...cell }
  } catch (err) {
    throw classifySharpError(err, format)
  }
}

/**
 * Whether a JPEG has its EOI marker after its last scan, or a PNG its IEND
 * chunk. (TIFF has no end marker; its decoder reports short strips.)
 */
export function hasEndMarker(format: ImageFormat, b: Uint8Array): boolean {
  if (format === 'jpeg') {
    let lastScan = -1
    for (let i = b.length - 2; i >= 2; i--) {
      if (b[i] === 0xff && b[i + 1] === 0xda) {
        lastScan = i
        break
      }
    }
    if (lastScan < 0) return false
    // Inside entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so FF D9 is the real end.
    for (let i = lastScan + 2; i < b.length - 1; i++) if (b[i] === 0xff && b[i + 1] === 0xd9) return true
    return false
  }
  if (format === 'png') {
    const tail = Buffer.from(b.buffer, b.byteOffset, b.byteLength).subarray(Math.max(0, b.length - 64))
    return tail.includes('IEND', 0, 'latin1')
  }
  return true
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (!(width > 0 && height > 0)) throw new CellDecodeError('corrupt', `image reports impossible dimensions ${width}x${height}`)
  if (width * height > maxPixels) {
    throw new CellDecodeError(
      'too-large',
      `image is ${width}x${height} pixels, over the ${maxPixels.toLocaleString('en-US')}-pixel limit (a cell image is far smaller; refusing to decode)`
    )
  }
}

function classifySharpError(err: unknown, format: ImageFormat): Error {
  if (err instanceof CellDecodeError) return err
  const msg = err instanceof Error ? err.message : String(err)
  if (/pixel limit/i.test(msg)) return new CellDecodeError('too-large', `image dimensions exceed the pixel limit (${msg})`)
  if (/premature end|truncat|unexpected end|end of (file|stream|data)|EOF|read error|short read|incomplete/i.test(msg)) {
    return new CellDecodeError('truncated', `the ${format.toUpperCase()} file is truncated (${firstLine(msg)})`)
  }
  return new CellDecodeError('corrupt', `the ${format.toUpperCase()} data is corrupt and cannot be decoded (${firstLine(msg)})`)
}

async function decodeBmpCell(bytes: Uint8Array, size: number, maxPixels: number) {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 30) throw new CellDecodeError('truncated', 'the BMP file is truncated (header incomplete)')
  const dataOffset = buf.readUInt32LE(10)
  const width = buf.readInt32LE(18)
  const height = Math.abs(buf.readInt32LE(22))
  const bitsPerPixel = buf.readUInt16LE(28)
  const compression = buf.length >= 34 ? buf.readUInt32LE(30) : 0
  checkPixels(width, height, maxPixels)
  if (compression === 0 || compression === 3) {
    const stride = Math.ceil((width * bitsPerPixel) / 32) * 4
    const needed = dataOffset + stride * height
    if (buf.length < needed) throw new CellDecodeError('truncated', `the BMP file is truncated (${buf.length} of ${needed} bytes)`)
  }
  let decoded: { width: number; height: number; data: Buffer }
  try {
    decoded = decodeBmp(buf, { toRGBA: true })
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err)
    if (err instanceof RangeError || /out of range|beyond/i.test(msg)) {
      throw new CellDecodeError('truncated', `the BMP file is truncated (${firstLine(msg)})`)
    }
    throw new CellDecodeError('corrupt', `the BMP data is corrupt and cannot be decoded (${firstLine(msg)})`)
  }
  const n = decoded.width * decoded.height
  if (decoded.data.length < n * 4) throw new CellDecodeError('corrupt', 'the BMP decoder returned fewer pixels than the header declares')
  // bmp-ts leaves alpha 0 for opaque formats; keep RGB only so sharp does not premultiply it away.
  const rgb = Buffer.allocUnsafe(n * 3)
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    rgb[i * 3] = decoded.data[j]
    rgb[i * 3 + 1] = decoded.data[j + 1]
    rgb[i * 3 + 2] = decoded.data[j + 2]
  }
  try {
    return await preprocessCellWithSize(rgb, size, { width: decoded.width, height: decoded.height, channels: 3 }, maxPixels)
  } catch (err) {
    throw classifySharpError(err, 'bmp')
  }
}

function describeStart(b: Uint8Array): string {
  const head = b.subarray(0, 8)
  const text = Buffer.from(head).toString('latin1')
  if (/^[\x20-\x7e]+$/.test(text)) return `"${text}"`
  return Array.from(head, (x) => x.toString(16).padStart(2, '0')).join(' ')
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim()
}
