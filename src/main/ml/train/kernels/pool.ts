// Max-pooling gradient for training on wasm: the stock kernel took ~50 ms per
// W-Net step at 128 px (4 cells); this JavaScript version routes each output
// gradient to the first maximum of its window (the cpu backend's rule, so
// ties after ReLU resolve the same way) in a few ms.
import * as tf from '@tensorflow/tfjs'
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { f32, type WasmBackendLike } from './wasm-internals'

export function maxPoolBackprop(
  x: Float32Array, dy: Float32Array, dx: Float32Array,
  n: number, h: number, w: number, c: number, outH: number, outW: number,
  fh: number, fw: number, sh: number, sw: number, padTop: number, padLeft: number
): void {
  dx.fill(0)
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && padTop === 0 && padLeft === 0 && outH * 2 <= h && outW * 2 <= w) {
    // W-Net's pooling: four candidates in window order (top-left, top-right, bottom-left, bottom-right).
    const row = w * c
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const p00 = ((b * h + 2 * oy) * w + 2 * ox) * c
          const dyBase = ((b * outH + oy) * outW + ox) * c
          for (let k = 0; k < c; k++) {
            const i0 = p00 + k
            let bi = i0
            let bv = x[i0]
            const v1 = x[i0 + c]
            if (v1 > bv) { bv = v1; bi = i0 + c }
            const v2 = x[i0 + row]
            if (v2 > bv) { bv = v2; bi = i0 + row }
            const v3 = x[i0 + row + c]
            if (v3 > bv) { bi = i0 + row + c }
            dx[bi] += dy[dyBase + k]
          }
        }
      }
    }
    return
  }
  const best = new Float32Array(c)
  const where = new Int32Array(c)
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - padTop
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * sw - padLeft
        best.fill(-Infinity)
        where.fill(-1)
        for (let wy = 0; wy < fh; wy++) {
          const iy = y0 + wy
          if (iy < 0 || iy >= h) continue
          for (let wx = 0; wx < fw; wx++) {
            const ix = x0 + wx
            if (ix < 0 || ix >= w) continue
            const base = ((b * h + iy) * w + ix) * c
            for (let k = 0; k < c; k++) {
              const v = x[base + k]
              if (v > best[k]) {
                best[k] = v
                where[k] = base + k
              }
            }
          }
        }
        const dyBase = ((b * outH + oy) * outW + ox) * c
        for (let k = 0; k < c; k++) if (where[k] >= 0) dx[where[k]] += dy[dyBase + k]
      }
    }
  }
}

export function maxPoolGradKernel(args: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackendLike
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo }
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
    filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil'
  }
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode)
  const dx = backend.makeOutput(input.shape, 'float32')
  maxPoolBackprop(
    f32(backend, input), f32(backend, dy), f32(backend, dx),
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.effectiveFilterHeight, info.effectiveFilterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left
  )
  return dx
}

/**
 * Identity shares the data (with a reference count) instead of copying it, as
 * the cpu backend does. tfjs clones every tensor it saves for the backward
 * pass; on wasm that copied W-Net's 64 MB dense weight on every step.
 */
export function identityKernel(args: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackendLike & { incRef(dataId: object): void }
  const { x } = args.inputs as { x: TensorInfo }
  backend.incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
}
