// Registers the wasm training kernels (see ml-runtime notes): call before the
// wasm backend initialises so the stock kernels' setup still runs.
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { conv2DBackpropFilterKernel, conv2DBackpropInputKernel } from './conv'
import { batchMatMulKernel, fusedMatMulKernel } from './matmul'
import { identityKernel, maxPoolGradKernel } from './pool'
import { resizeNearestNeighborGradKernel } from './resize'
import { rememberOriginal } from './wasm-internals'

let registered = false

function override(kernelName: string, kernelFunc: KernelConfig['kernelFunc']): void {
  const orig = rememberOriginal(kernelName)
  if (orig) tf.unregisterKernel(kernelName, 'wasm')
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    // The stock kernel's setup binds its wasm function; ours delegates to it.
    setupFunc: orig?.setupFunc,
    kernelFunc
  })
}

/** Idempotent. The wasm package must be imported first (it registers the stock kernels). */
export function registerWasmTrainingKernels(): void {
  if (registered) return
  registered = true
  override('BatchMatMul', batchMatMulKernel as KernelConfig['kernelFunc'])
  override('_FusedMatMul', fusedMatMulKernel as KernelConfig['kernelFunc'])
  override('Conv2DBackpropInput', conv2DBackpropInputKernel as KernelConfig['kernelFunc'])
  override('MaxPoolGrad', maxPoolGradKernel as KernelConfig['kernelFunc'])
  override('Identity', identityKernel as KernelConfig['kernelFunc'])
  override('ResizeNearestNeighborGrad', resizeNearestNeighborGradKernel as KernelConfig['kernelFunc'])
  // Not registered for wasm at all in 4.22.
  override('Conv2DBackpropFilter', conv2DBackpropFilterKernel as KernelConfig['kernelFunc'])
}

export { adamStep, adamStepLowRank, FusedAdam, ADAM_DEFAULTS, type AdamSettings } from './adam'
export { jsMatMul } from './matmul'
export { im2colTransposed, flipSwapFilter, col2im, convKernelOptions } from './conv'
export { maxPoolBackprop } from './pool'
export { resizeKernelOptions } from './resize'
