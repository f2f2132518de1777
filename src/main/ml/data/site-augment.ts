// Augmentations that imitate another site's microscope and stain: a change of
// scale (another magnification or camera), blur (another focus) and stain
// (another haematoxylin/eosin balance, as an HED jitter after Tellez et al.
// 2018), applied to one uint8 cell before the paper's per-image
// standardisation. A second site's cells differ from PBC's in exactly these
// ways (docs/ml-results.md, "Site adaptation"), so training on them with this
// jitter teaches the network what must not matter.
//
// The random draws are made by the trainer (seeded, checkpointed with the
// run), one row of SITE_JITTER_VALUES numbers per cell, so a resumed or
// repeated run sees the same jitter; this module only applies a row.
import type { SeededRng } from '../../stats/random'

/** How strong each jitter is; 0 (or absent) turns it off. */
export interface SiteAugment {
  /** HED jitter: each stain's amount scaled by U(1-s, 1+s) and shifted by U(-s, s) (Tellez: 0.05 light, 0.2 strong). */
  stain?: number
  /** Gaussian blur with sigma U(0, blur), in pixels of a 128 px cell (scaled with the input size). */
  blur?: number
  /** Zoom about the centre by a factor in [1/(1+scale), 1+scale] (0.2: cells 17% smaller to 20% larger). */
  scale?: number
}

/** Numbers drawn per cell: 3 stain factors, 3 stain shifts, blur sigma, zoom. */
export const SITE_JITTER_VALUES = 8

export function siteAugmentActive(a: SiteAugment | undefined): boolean {
  return !!a && ((a.stain ?? 0) > 0 || (a.blur ?? 0) > 0 || (a.scale ?? 0) > 0)
}

/** One cell's draws (the trainer's seeded generator). */
export function drawSiteJitter(rng: SeededRng, a: SiteAugment, out: Float32Array, offset: number): void {
  const u = () => rng.next()
  const s = a.stain ?? 0
  for (let c = 0; c < 3; c++) out[offset + c] = 1 + s * (2 * u() - 1)
  for (let c = 0; c < 3; c++) out[offset + 3 + c] = s * (2 * u() - 1)
  out[offset + 6] = (a.blur ?? 0) * u()
  const z = a.scale ?? 0
  // Uniform in log scale, so shrinking and enlarging are equally likely.
  out[offset + 7] = z > 0 ? Math.exp(Math.log(1 + z) * (2 * u() - 1)) : 1
}

// Ruifrok & Johnston's haematoxylin, eosin, DAB optical-density vectors (rows), as scikit-image's rgb2hed.
const RGB_FROM_HED = [
  [0.65, 0.7, 0.29],
  [0.07, 0.99, 0.11],
  [0.27, 0.57, 0.78]
]
const HED_FROM_RGB = invert3(RGB_FROM_HED)

function invert3(m: number[][]): number[][] {
  const [a, b, c] = m[0]
  const [d, e, f] = m[1]
  const [g, h, i] = m[2]
  const A = e * i - f * h
  const B = -(d * i - f * g)
  const C = d * h - e * g
  const det = a * A + b * B + c * C
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det]
  ]
}

/** Zoom about the centre (bilinear, edges clamped): factor > 1 enlarges the cell. */
function zoom(src: Uint8Array, dst: Uint8Array, S: number, factor: number): void {
  const c = (S - 1) / 2
  for (let y = 0; y < S; y++) {
    const sy = Math.min(S - 1, Math.max(0, c + (y - c) / factor))
    const y0 = Math.floor(sy)
    const y1 = Math.min(S - 1, y0 + 1)
    const fy = sy - y0
    for (let x = 0; x < S; x++) {
      const sx = Math.min(S - 1, Math.max(0, c + (x - c) / factor))
      const x0 = Math.floor(sx)
      const x1 = Math.min(S - 1, x0 + 1)
      const fx = sx - x0
      for (let k = 0; k < 3; k++) {
        const v =
          (1 - fy) * ((1 - fx) * src[(y0 * S + x0) * 3 + k] + fx * src[(y0 * S + x1) * 3 + k]) +
          fy * ((1 - fx) * src[(y1 * S + x0) * 3 + k] + fx * src[(y1 * S + x1) * 3 + k])
        dst[(y * S + x) * 3 + k] = Math.round(v)
      }
    }
  }
}

/** Separable Gaussian blur (edges clamped), in place through a float buffer. */
function blur(img: Uint8Array, S: number, sigma: number): void {
  const r = Math.max(1, Math.ceil(2 * sigma))
  const kernel = new Float32Array(2 * r + 1)
  let sum = 0
  for (let i = -r; i <= r; i++) sum += kernel[i + r] = Math.exp((-i * i) / (2 * sigma * sigma))
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum
  const tmp = new Float32Array(S * S * 3)
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++)
      for (let k = 0; k < 3; k++) {
        let v = 0
        for (let i = -r; i <= r; i++) v += kernel[i + r] * img[(y * S + Math.min(S - 1, Math.max(0, x + i))) * 3 + k]
        tmp[(y * S + x) * 3 + k] = v
      }
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++)
      for (let k = 0; k < 3; k++) {
        let v = 0
        for (let i = -r; i <= r; i++) v += kernel[i + r] * tmp[(Math.min(S - 1, Math.max(0, y + i)) * S + x) * 3 + k]
        img[(y * S + x) * 3 + k] = Math.round(v)
      }
}

/** HED jitter in place: RGB -> optical density -> stains, scaled and shifted, and back. */
function stain(img: Uint8Array, alpha: ArrayLike<number>, beta: ArrayLike<number>): void {
  const m = HED_FROM_RGB
  const r = RGB_FROM_HED
  for (let p = 0; p < img.length; p += 3) {
    const od0 = -Math.log((img[p] + 1) / 256)
    const od1 = -Math.log((img[p + 1] + 1) / 256)
    const od2 = -Math.log((img[p + 2] + 1) / 256)
    const h = [0, 1, 2].map((j) => (od0 * m[0][j] + od1 * m[1][j] + od2 * m[2][j]) * alpha[j] + beta[j])
    for (let k = 0; k < 3; k++) {
      const od = h[0] * r[0][k] + h[1] * r[1][k] + h[2] * r[2][k]
      img[p + k] = Math.min(255, Math.max(0, Math.round(256 * Math.exp(-od) - 1)))
    }
  }
}

/**
 * One cell (S x S x 3 uint8) with its jitter row applied, written to `dst`
 * (which may not alias `src`): zoom, then blur, then stain.
 */
export function applySiteJitter(src: Uint8Array, dst: Uint8Array, S: number, row: ArrayLike<number>): void {
  const factor = row[7]
  if (Math.abs(factor - 1) > 1e-3) zoom(src, dst, S, factor)
  else dst.set(src)
  const sigma = (row[6] * S) / 128
  if (sigma >= 0.2) blur(dst, S, sigma)
  if (row[0] !== 1 || row[1] !== 1 || row[2] !== 1 || row[3] !== 0 || row[4] !== 0 || row[5] !== 0) {
    stain(dst, [row[0], row[1], row[2]], [row[3], row[4], row[5]])
  }
}
