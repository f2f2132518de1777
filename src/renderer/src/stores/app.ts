// Who we are talking to: the workstation's version, shell, database and ML backend.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo } from '../../../shared/api'
import { useTransport } from '../api/transport'

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const r = await useTransport().api['app.info']()
    if (r.ok) {
      info.value = r.value
      error.value = null
    } else error.value = r.error.message
  }

  return { info, error, load }
})
