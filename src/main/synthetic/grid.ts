// Sample grids: cells (uint8 RGB, S x S) tiled into one PNG with sharp, upscaled
// (nearest neighbour, so pixels stay honest) when cells are small.
import sharp from 'sharp'

export interface GridOptions {
  columns?: number
  /** Gap between tiles in pixels (before upscaling). */
  gap?: number
  /** Smallest tile side in the PNG; small cells are scaled up by a whole factor. */
  minTile?: number
  background?: number
}

export async function composeGrid(pixels: Uint8Array, size: number, options: GridOptions = {}): Promise<Buffer> {
  const per = size * size * 3
  const n = Math.floor(pixels.length / per)
  if (n === 0) throw new Error('no cells to tile')
  const cols = Math.max(1, Math.min(n, options.columns ?? Math.ceil(Math.sqrt(n))))
  const rows = Math.ceil(n / cols)
  const gap = options.gap ?? 2
  const W = cols * size + (cols + 1) * gap
  const H = rows * size + (rows + 1) * gap
  const canvas = new Uint8Array(W * H * 3).fill(options.background ?? 255)
  for (let k = 0; k < n; k++) {
    const ox = gap + (k % cols) * (size + gap)
    const oy = gap + Math.floor(k / cols) * (size + gap)
    for (let y = 0; y < size; y++) {
      const src = k * per + y * size * 3
      canvas.set(pixels.subarray(src, src + size * 3), ((oy + y) * W + ox) * 3)
    }
  }
  const scale = Math.max(1, Math.ceil((options.minTile ?? 64) / size))
  let img = sharp(canvas, { raw: { width: W, height: H, channels: 3 } })
  if (scale > 1) img = img.resize(W * scale, H * scale, { kernel: 'nearest' })
  return img.png().toBuffer()
}
