// The few wasm-backend internals the training kernels rely on: kernel
// delegation, heap views and output allocation. Kept in one place because
// they are not public API of @tensorflow/tfjs-backend-wasm (pinned 4.22.0).
import * as tf from '@tensorflow/tfjs'
import type { DataId, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'

export interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array }
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number } | undefined; has(dataId: DataId): boolean }
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo
  disposeData(dataId: DataId, force?: boolean): boolean
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array
}

/** Kernel configs as registered by the wasm package, captured before we override any. */
const originals = new Map<string, KernelConfig>()

export function original(kernelName: string): KernelConfig {
  let cfg = originals.get(kernelName)
  if (!cfg) {
    cfg = tf.getKernel(kernelName, 'wasm')
    if (!cfg) throw new Error(`wasm kernel ${kernelName} is not registered`)
    originals.set(kernelName, cfg)
  }
  return cfg
}

export function rememberOriginal(kernelName: string): KernelConfig | undefined {
  const cfg = tf.getKernel(kernelName, 'wasm')
  if (cfg && !originals.has(kernelName)) originals.set(kernelName, cfg)
  return originals.get(kernelName)
}

/** Run a wasm kernel directly (no tape, no engine tracking): the caller owns the result. */
export function call(
  kernelName: string,
  backend: WasmBackendLike,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {}
): TensorInfo {
  const out = original(kernelName).kernelFunc({ inputs, attrs, backend: backend as never })
  return (Array.isArray(out) ? out[0] : out) as TensorInfo
}

/** A float32 view of a tensor's data on the wasm heap. Re-take it after any allocation. */
export function f32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array
}

export function free(backend: WasmBackendLike, info: TensorInfo): void {
  backend.disposeData(info.dataId)
}

/** The same data under another shape (no copy, no ownership change). */
export function view(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype }
}

export function size(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export function transpose2d(backend: WasmBackendLike, info: TensorInfo, rows: number, cols: number): TensorInfo {
  const out = call('Transpose', backend, { x: view(info, [rows, cols]) }, { perm: [1, 0] })
  return view(out, [cols, rows])
}
