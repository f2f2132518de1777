// The TensorFlow.js runtime the core uses: picks the fastest backend that
// loads on this machine and reports which one is active.
//
// Chain: @tensorflow/tfjs-node-gpu -> @tensorflow/tfjs-node -> wasm -> cpu.
// The two native packages are optionalDependencies whose install downloads
// libtensorflow; where that failed (offline machines) their import throws and
// we fall through. The wasm backend is single-threaded in Node, so training
// uses it from several worker threads (see train/trainer.ts); its missing and slow
// training kernels are registered from ./kernels.
import * as tf from '@tensorflow/tfjs'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { registerWasmTrainingKernels } from '../train/kernels/index'

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'
export type BackendPreference = 'auto' | BackendName

export interface BackendInfo {
  /** The name reported in runs, the CLI and the UI. */
  name: BackendName
  /** tf.getBackend() as tfjs names it ('tensorflow', 'wasm', 'cpu'). */
  tfName: string
  /** Why earlier entries of the chain were skipped. */
  skipped: { name: BackendName; reason: string }[]
  /** Whether the wasm training kernels of ./kernels are active. */
  wasmTrainingKernels: boolean
  simd?: boolean
}

let active: BackendInfo | undefined
let pending: Promise<BackendInfo> | undefined

// Not named `require`: the electron-vite ESM bundle injects its own `require` shim into this chunk.
const requireHere = createRequire(import.meta.url)

/** Directory holding the tfjs wasm binaries (overridable for packaged apps). */
export function wasmBinaryDir(): string {
  const override = process.env.WBC_TFJS_WASM_DIR
  if (override) return override
  const main = requireHere.resolve('@tensorflow/tfjs-backend-wasm')
  return dirname(main)
}

function message(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err)
  return m.split('\n')[0].slice(0, 200)
}

async function tryNative(pkg: string, want: BackendName, skipped: BackendInfo['skipped']): Promise<boolean> {
  try {
    // A variable specifier keeps bundlers from trying to resolve a package
    // that is usually absent.
    const spec: string = pkg
    await import(spec)
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend failed to initialise')
    return true
  } catch (err) {
    skipped.push({ name: want, reason: message(err) })
    return false
  }
}

async function tryWasm(skipped: BackendInfo['skipped']): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    const dir = wasmBinaryDir()
    if (!existsSync(join(dir, 'tfjs-backend-wasm.wasm'))) throw new Error(`no tfjs wasm binaries in ${dir}`)
    // Plain paths: the Node build reads them with fs. Threads are off in Node
    // anyway (tfjs issue #3830), so the simd (or plain) binary is used.
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': join(dir, 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': join(dir, 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': join(dir, 'tfjs-backend-wasm-threaded-simd.wasm')
    })
    registerWasmTrainingKernels()
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise')
    return true
  } catch (err) {
    skipped.push({ name: 'wasm', reason: message(err) })
    return false
  }
}

/**
 * Initialise the fastest available backend (or the preferred one) once per
 * thread and report it. Later calls return the same answer.
 */
export async function initBackend(preference: BackendPreference = envPreference()): Promise<BackendInfo> {
  if (active && (preference === 'auto' || preference === active.name)) return active
  if (pending && preference === 'auto') return pending
  pending = (async () => {
    const skipped: BackendInfo['skipped'] = []
    let name: BackendName | undefined
    const want = (n: BackendName) => preference === 'auto' || preference === n
    if (!name && want('tensorflow-gpu') && (await tryNative('@tensorflow/tfjs-node-gpu', 'tensorflow-gpu', skipped))) name = 'tensorflow-gpu'
    if (!name && want('tensorflow') && (await tryNative('@tensorflow/tfjs-node', 'tensorflow', skipped))) name = 'tensorflow'
    if (!name && want('wasm') && (await tryWasm(skipped))) name = 'wasm'
    if (!name) {
      await tf.setBackend('cpu')
      name = 'cpu'
    }
    await tf.ready()
    let simd: boolean | undefined
    if (name === 'wasm') simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))
    active = { name, tfName: tf.getBackend(), skipped, wasmTrainingKernels: name === 'wasm', simd }
    return active
  })()
  try {
    return await pending
  } finally {
    pending = undefined
  }
}

/** WBC_ML_BACKEND=wasm|cpu|tensorflow|tensorflow-gpu forces a backend (tests, benchmarks). */
function envPreference(): BackendPreference {
  const v = process.env.WBC_ML_BACKEND
  if (v === 'wasm' || v === 'cpu' || v === 'tensorflow' || v === 'tensorflow-gpu') return v
  return 'auto'
}

/** The backend initialised in this thread, if any. */
export function activeBackend(): BackendInfo | undefined {
  return active
}

export { tf }
