// Who we are talking to: the workstation's version, shell, database and ML backend.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo } from '../../../shared/api'
import { useTransport } from '../api/transport'

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const error = ref<string | null>(null)
  let following = false

  async function load(): Promise<void> {
    const t = useTransport()
    // The ML backend becomes known when the first ML job ends: re-read then.
    if (!following) {
      following = true
      t.on('job.finished', (s) => {
        if (s.kind !== 'import' && info.value?.mlBackend == null) void load()
      })
    }
    const r = await t.api['app.info']()
    if (r.ok) {
      info.value = r.value
      error.value = null
    } else error.value = r.error.message
  }

  return { info, error, load }
})
