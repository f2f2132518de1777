// Gradient of 2x nearest-neighbour upsampling for training on wasm (the
// DCGAN generator's "resize-convolution"): each input pixel's gradient is the
// sum of its 2x2 output block. The stock wasm kernel handles any scale with
// per-element index arithmetic and took about 8% of a GAN step at 64 px; this
// loop covers the exact-2x case (no corner alignment, no half-pixel centres:
// what tf.image.resizeNearestNeighbor and upSampling2d use) and leaves every
// other case to the stock kernel.
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { call, f32, type WasmBackendLike } from './wasm-internals'

/** The benchmark switches this off to measure the stock kernel beside it (scripts/bench-gan.ts). */
export const resizeKernelOptions = { exact2x: true }

export function upsample2xBackprop(dy: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number): void {
  const W2 = 2 * w
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const r0 = ((b * 2 * h + 2 * y) * W2) * c
      const r1 = r0 + W2 * c
      let o = ((b * h + y) * w) * c
      for (let x = 0; x < w; x++) {
        const a = r0 + 2 * x * c
        const d = r1 + 2 * x * c
        for (let k = 0; k < c; k++, o++) dx[o] = dy[a + k] + dy[a + c + k] + dy[d + k] + dy[d + c + k]
      }
    }
  }
}

export function resizeNearestNeighborGradKernel(args: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackendLike
  const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo }
  const { alignCorners, halfPixelCenters } = (args.attrs ?? {}) as { alignCorners?: boolean; halfPixelCenters?: boolean }
  const [n, h, w, c] = images.shape
  const exact2x = dy.shape.length === 4 && dy.shape[0] === n && dy.shape[1] === 2 * h && dy.shape[2] === 2 * w && dy.shape[3] === c
  if (!resizeKernelOptions.exact2x || alignCorners || halfPixelCenters || !exact2x || dy.dtype !== 'float32') return call('ResizeNearestNeighborGrad', backend, args.inputs, args.attrs)
  const dx = backend.makeOutput([n, h, w, c], 'float32')
  upsample2xBackprop(f32(backend, dy), f32(backend, dx), n, h, w, c)
  return dx
}
