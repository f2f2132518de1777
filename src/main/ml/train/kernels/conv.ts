// Convolution gradients for training on wasm.
//
// Conv2DBackpropFilter is not registered for wasm at all: we build the
// im2col matrix (already transposed, K x M with K = kh*kw*cin and
// M = batch*outH*outW) and do one matrix multiply with the output gradient.
// Conv2DBackpropInput at stride 1 is an ordinary convolution of the output
// gradient, padded to a "full" convolution, with the spatially flipped,
// in/out-swapped filter; XNNPACK runs that several times faster than the
// stock gradient kernel. Other strides (the stride-2 4x4 convolutions of the
// DCGAN's discriminator) go through one matrix multiply of the output
// gradient with the transposed filter and a col2im scatter-add: the stock
// kernel's strided path was the largest single cost of a GAN step (about a
// quarter of it at 64 px).
import * as tf from '@tensorflow/tfjs'
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import { call, f32, free, view, type WasmBackendLike } from './wasm-internals'
import { plainMatMul } from './matmul'

/**
 * Benchmarks switch these off to measure the kernels as they were before #13
 * beside today's (scripts/bench-gan.ts): the stock strided input gradient,
 * and the gather im2col instead of the planar one.
 */
export const convKernelOptions = { stridedCol2im: true, planarIm2col: true }

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]]

function convInfo(xShape: number[], filterShape: number[], strides: number | [number, number], pad: Pad, dimRoundingMode: unknown, dataFormat: string) {
  if (dataFormat !== 'NHWC' && dataFormat !== undefined) throw new Error(`wasm training kernels support NHWC only, got ${dataFormat}`)
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as never,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast'
  )
}

/** colT[k, m] = x at filter tap k (i, j, c) under output position m (n, oy, ox); zero in the padding. */
export function im2colTransposed(
  x: Float32Array,
  colT: Float32Array,
  n: number, h: number, w: number, cin: number,
  fh: number, fw: number, outH: number, outW: number,
  sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number
): void {
  const M = n * outH * outW
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      // Output columns whose input column ox*sw - padLeft + j*dw lies inside [0, w).
      const off = j * dw - padLeft
      const oxLo = Math.min(outW, Math.max(0, Math.ceil(-off / sw)))
      const oxHi = Math.max(oxLo, Math.min(outW, Math.floor((w - 1 - off) / sw) + 1))
      for (let c = 0; c < cin; c++) {
        const row = ((i * fw + j) * cin + c) * M
        let m = row
        for (let b = 0; b < n; b++) {
          const xb = b * h * w * cin
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * sh - padTop + i * dh
            if (iy < 0 || iy >= h) {
              colT.fill(0, m, m + outW)
              m += outW
              continue
            }
            const xr = xb + iy * w * cin + c
            // Interior without bounds checks; zeros where the window leaves the image.
            for (let ox = 0; ox < oxLo; ox++) colT[m + ox] = 0
            const step = sw * cin
            let src = xr + (oxLo * sw - padLeft + j * dw) * cin
            for (let ox = oxLo; ox < oxHi; ox++, src += step) colT[m + ox] = x[src]
            for (let ox = Math.max(oxHi, oxLo); ox < outW; ox++) colT[m + ox] = 0
            m += outW
          }
        }
      }
    }
  }
}

let planeScratch = new Float32Array(0)

/**
 * im2colTransposed for stride 1 along the width: x is first made
 * channel-planar (c, n, y, x), so every row segment of colT is one contiguous
 * copy (TypedArray.set) instead of a gather with a stride of cin floats. The
 * gather version read all of x once per filter tap and channel; at the
 * DCGAN's 64 px layers it took longer than the matrix multiply after it.
 */
export function im2colTransposedPlanar(
  x: Float32Array,
  colT: Float32Array,
  n: number, h: number, w: number, cin: number,
  fh: number, fw: number, outH: number, outW: number,
  sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number
): void {
  if (sw !== 1) throw new Error('im2colTransposedPlanar needs stride 1 along the width')
  const plane = n * h * w
  if (planeScratch.length < plane * cin) planeScratch = new Float32Array(plane * cin)
  const xp = planeScratch
  for (let p = 0, src = 0; p < plane; p++) for (let c = 0; c < cin; c++, src++) xp[c * plane + p] = x[src]
  const M = n * outH * outW
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const off = j * dw - padLeft
      const oxLo = Math.min(outW, Math.max(0, -off))
      const oxHi = Math.max(oxLo, Math.min(outW, w - off))
      for (let c = 0; c < cin; c++) {
        let m = ((i * fw + j) * cin + c) * M
        for (let b = 0; b < n; b++) {
          const pb = c * plane + b * h * w
          for (let oy = 0; oy < outH; oy++, m += outW) {
            const iy = oy * sh - padTop + i * dh
            if (iy < 0 || iy >= h) {
              colT.fill(0, m, m + outW)
              continue
            }
            const src = pb + iy * w + oxLo + off
            const len = oxHi - oxLo
            if (len >= 64) {
              if (oxLo > 0) colT.fill(0, m, m + oxLo)
              colT.set(xp.subarray(src, src + len), m + oxLo)
              if (oxHi < outW) colT.fill(0, m + oxHi, m + outW)
            } else {
              // Short rows (the 4x4 to 32x32 layers): a loop, because a
              // subarray view per row costs more than copying its few floats.
              for (let k = 0; k < oxLo; k++) colT[m + k] = 0
              for (let k = 0; k < len; k++) colT[m + oxLo + k] = xp[src + k]
              for (let k = oxHi; k < outW; k++) colT[m + k] = 0
            }
          }
        }
      }
    }
  }
}

export function conv2DBackpropFilterKernel(args: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackendLike
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo }
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as {
    strides: number | [number, number]; pad: Pad; dataFormat: string; dimRoundingMode?: string; filterShape: number[]
  }
  const info = convInfo(x.shape, filterShape, strides, pad, dimRoundingMode, dataFormat)
  const [n, h, w, cin] = x.shape
  const { filterHeight: fh, filterWidth: fw, outHeight: outH, outWidth: outW, outChannels: cout } = info
  const K = fh * fw * cin
  const M = n * outH * outW
  const colT = backend.makeOutput([K, M], 'float32')
  const args6 = [n, h, w, cin, fh, fw, outH, outW, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left] as const
  if (info.strideWidth === 1 && convKernelOptions.planarIm2col) im2colTransposedPlanar(f32(backend, x), f32(backend, colT), ...args6)
  else im2colTransposed(f32(backend, x), f32(backend, colT), ...args6)
  const dW = plainMatMul(backend, colT, view(dy, [M, cout]), K, M, cout)
  free(backend, colT)
  return view(dW, filterShape)
}

/** wf[i, j, o, c] = w[fh-1-i, fw-1-j, c, o]. */
export function flipSwapFilter(w: Float32Array, out: Float32Array, fh: number, fw: number, cin: number, cout: number): void {
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const src = ((fh - 1 - i) * fw + (fw - 1 - j)) * cin * cout
      const dst = (i * fw + j) * cout * cin
      for (let c = 0; c < cin; c++) {
        for (let o = 0; o < cout; o++) out[dst + o * cin + c] = w[src + c * cout + o]
      }
    }
  }
}

export function conv2DBackpropInputKernel(args: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackendLike
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo }
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as {
    strides: number | [number, number]; pad: Pad; dataFormat: string; dimRoundingMode?: string; inputShape: number[]
  }
  const info = convInfo(inputShape, filter.shape, strides, pad, dimRoundingMode, dataFormat)
  const { filterHeight: fh, filterWidth: fw, inChannels: cin, outChannels: cout } = info
  const pt = fh - 1 - info.padInfo.top
  const pb = fh - 1 - info.padInfo.bottom
  const pl = fw - 1 - info.padInfo.left
  const pr = fw - 1 - info.padInfo.right
  if (filter.dtype !== 'float32' || dy.dtype !== 'float32' || info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    return call('Conv2DBackpropInput', backend, args.inputs, args.attrs)
  }
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || pt < 0 || pb < 0 || pl < 0 || pr < 0) {
    if (!convKernelOptions.stridedCol2im) return call('Conv2DBackpropInput', backend, args.inputs, args.attrs)
    return backpropInputCol2im(backend, dy, filter, info, inputShape)
  }
  const wf = backend.makeOutput([fh, fw, cout, cin], 'float32')
  flipSwapFilter(f32(backend, filter), f32(backend, wf), fh, fw, cin, cout)
  const dx = call('Conv2D', backend, { x: dy, filter: wf }, {
    strides: [1, 1],
    pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]],
    dataFormat: 'NHWC',
    dilations: [1, 1],
    dimRoundingMode: dimRoundingMode as never
  } as unknown as NamedAttrMap)
  free(backend, wf)
  const expect = inputShape.join(',')
  if (dx.shape.join(',') !== expect) {
    free(backend, dx)
    return call('Conv2DBackpropInput', backend, args.inputs, args.attrs)
  }
  return dx
}

/** dx[n, iy, ix, c] += cols[m, (i*fw + j)*cin + c] for every output position m = (n, oy, ox) and tap (i, j) that lands inside. */
export function col2im(
  cols: Float32Array,
  dx: Float32Array,
  n: number, h: number, w: number, cin: number,
  fh: number, fw: number, outH: number, outW: number,
  sh: number, sw: number, padTop: number, padLeft: number
): void {
  dx.fill(0, 0, n * h * w * cin)
  const K = fh * fw * cin
  let m = 0
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * cin
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, m++) {
        const row = m * K
        for (let i = 0; i < fh; i++) {
          const iy = oy * sh - padTop + i
          if (iy < 0 || iy >= h) continue
          for (let j = 0; j < fw; j++) {
            const ix = ox * sw - padLeft + j
            if (ix < 0 || ix >= w) continue
            const src = row + (i * fw + j) * cin
            const dst = xb + (iy * w + ix) * cin
            for (let c = 0; c < cin; c++) dx[dst + c] += cols[src + c]
          }
        }
      }
    }
  }
}

/** Input gradient of any-stride convolution: cols = dy[M, cout] W^T[cout, K], then col2im. */
function backpropInputCol2im(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: ReturnType<typeof convInfo>,
  inputShape: number[]
): TensorInfo {
  const [n, h, w, cin] = inputShape
  const { filterHeight: fh, filterWidth: fw, outHeight: outH, outWidth: outW, outChannels: cout } = info
  const K = fh * fw * cin
  const M = n * outH * outW
  // The filter is [K, cout] row-major; its transpose is small, so do it here.
  const wT = backend.makeOutput([cout, K], 'float32')
  {
    const src = f32(backend, filter)
    const dst = f32(backend, wT)
    for (let k = 0; k < K; k++) for (let o = 0; o < cout; o++) dst[o * K + k] = src[k * cout + o]
  }
  const cols = plainMatMul(backend, view(dy, [M, cout]), wT, M, cout, K)
  free(backend, wT)
  const dx = backend.makeOutput(inputShape, 'float32')
  col2im(f32(backend, cols), f32(backend, dx), n, h, w, cin, fh, fw, outH, outW, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left)
  free(backend, cols)
  return dx
}
