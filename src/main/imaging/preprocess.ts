// W-Net's preprocessing, the one function training and inference share.
//
// The paper crops the borders of a 360x361 DI-60 cell image (top 80, bottom
// 81, left 80, right 80 px), i.e. keeps the central 200/360 of the width and
// 200/361 of the height, resizes that to 128x128x3, and standardises each image
// on its own RGB values. Images of other sizes keep the same central fraction.
// The resized crop is kept as uint8 (a rebuildable cache); standardisation to
// float happens per batch so datasets stay small in memory.
import sharp from 'sharp'

export const PAPER_INPUT_SIZE = 128
/** Central fraction kept of each side (the paper's 200 of 360 x 200 of 361). */
export const CROP_FRACTION_W = 200 / 360
export const CROP_FRACTION_H = 200 / 361
/** Decompression-bomb guard: images decoding to more pixels than this are refused. */
export const MAX_INPUT_PIXELS = 40_000_000

export interface CropBox {
  left: number
  top: number
  width: number
  height: number
}

/** The paper's central crop for an image of the given size (80/80/80/81 px at 360x361). */
export function centralCrop(width: number, height: number): CropBox {
  const cw = Math.max(1, Math.round(width * CROP_FRACTION_W))
  const ch = Math.max(1, Math.round(height * CROP_FRACTION_H))
  return { left: Math.floor((width - cw) / 2), top: Math.floor((height - ch) / 2), width: cw, height: ch }
}

/**
 * Decode, crop and resize one cell image to size x size x 3 uint8 RGB (HWC).
 * `input` is an encoded image sharp can read, or raw pixels described by `raw`.
 */
export async function preprocessCell(
  input: Buffer | Uint8Array,
  size: number = PAPER_INPUT_SIZE,
  raw?: { width: number; height: number; channels: 1 | 2 | 3 | 4 }
): Promise<Uint8Array> {
  return (await preprocessCellWithSize(input, size, raw)).pixels
}

/** A preprocessed cell and the (oriented) size of the image it came from. */
export interface PreprocessedCell {
  pixels: Uint8Array
  width: number
  height: number
}

/**
 * preprocessCell that also returns the source image's oriented width and
 * height (import stores them), at the cost of no extra decode.
 */
export async function preprocessCellWithSize(
  input: Buffer | Uint8Array,
  size: number = PAPER_INPUT_SIZE,
  raw?: { width: number; height: number; channels: 1 | 2 | 3 | 4 },
  maxInputPixels: number = MAX_INPUT_PIXELS
): Promise<PreprocessedCell> {
  const open = () => sharp(input, { limitInputPixels: maxInputPixels, failOn: 'error', ...(raw ? { raw } : {}) })
  let width = raw?.width
  let height = raw?.height
  if (width === undefined || height === undefined) {
    const meta = await open().metadata()
    if (!meta.width || !meta.height) throw new Error('image has no dimensions')
    width = meta.autoOrient?.width ?? meta.width
    height = meta.autoOrient?.height ?? meta.height
  }
  const box = centralCrop(width, height)
  const { data, info } = await open()
    .autoOrient()
    .extract(box)
    .resize(size, size, { fit: 'fill', kernel: 'lanczos3' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  if (info.channels !== 3 || data.length !== size * size * 3) {
    throw new Error(`unexpected decoded layout: ${info.width}x${info.height}x${info.channels}`)
  }
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height }
}

/**
 * Per-image standardisation (as tf.image.per_image_standardization): subtract
 * the image's mean over all RGB values and divide by max(stddev, 1/sqrt(N)).
 * Writes into `out` (length = pixels.length) starting at `offset`.
 */
export function standardize(pixels: Uint8Array, out: Float32Array, offset = 0): Float32Array {
  const n = pixels.length
  let sum = 0
  let sumSq = 0
  for (let i = 0; i < n; i++) {
    const v = pixels[i]
    sum += v
    sumSq += v * v
  }
  const mean = sum / n
  const variance = Math.max(0, sumSq / n - mean * mean)
  const scale = 1 / Math.max(Math.sqrt(variance), 1 / Math.sqrt(n))
  for (let i = 0; i < n; i++) out[offset + i] = (pixels[i] - mean) * scale
  return out
}
