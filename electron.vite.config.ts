// Builds the three parts of the desktop app: the main process (Electron shell
// plus the core's worker-thread entries), the sandboxed preload bridge, and the
// Vue renderer. The renderer build is also what `wbc serve` hands to browsers.
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'
import { WORKER_SOURCES } from './src/main/workers'

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // Every worker entry the core starts sits beside index.js under its
        // name in src/main/workers.ts (WORKER_SOURCES), which finds it there.
        input: {
          index: resolve('src/main/index.ts'),
          ...Object.fromEntries(Object.entries(WORKER_SOURCES).map(([name, src]) => [name, resolve('src/main', src)]))
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
