// Builds the three parts of the desktop app: the main process (Electron shell
// plus the core's worker-thread entries), the sandboxed preload bridge, and the
// Vue renderer. The renderer build is also what `wbc serve` hands to browsers.
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The worker entries sit beside index.js (src/main/api/worker-url.ts finds them there).
        input: {
          index: resolve('src/main/index.ts'),
          'core-worker': resolve('src/main/api/core-worker.ts'),
          'job-worker': resolve('src/main/api/job-worker.ts')
        }
      }
    }
  },
  preload: {
    build: {
      // A sandboxed preload cannot require() packages: bundle zod and the contract into it.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve('src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } }
    },
    plugins: [vue()]
  }
})
