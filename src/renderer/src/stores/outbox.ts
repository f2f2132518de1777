// The Outbox screen's state: messages for the LIS with their state (kept
// current by the core's outbox.changed events), one message's detail, the
// LIS connection settings, and sending a signed slide.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { LisSettings, OutboxMessage, OutboxMessageDetail } from '../../../shared/lis'
import { useTransport } from '../api/transport'

export const useOutboxStore = defineStore('outbox', () => {
  const messages = ref<OutboxMessage[]>([])
  const settings = ref<LisSettings | null>(null)
  const detail = ref<OutboxMessageDetail | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  /** A one-line outcome of the last action (settings saved, message queued ...). */
  const notice = ref<string | null>(null)
  let unsubscribe: (() => void) | null = null

  /** Newer states replace older ones; new messages go first (newest first, as the list comes). */
  function merge(rows: OutboxMessage[]): void {
    const next = [...messages.value]
    for (const r of rows) {
      const i = next.findIndex((m) => m.id === r.id)
      if (i >= 0) next[i] = r
      else next.unshift(r)
    }
    messages.value = next.sort((a, b) => b.id - a.id)
    if (detail.value && rows.some((r) => r.id === detail.value!.id)) void show(detail.value.id)
  }

  function follow(): void {
    if (unsubscribe) return
    unsubscribe = useTransport().on('outbox.changed', ({ messages: rows }) => merge(rows))
  }

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
  }

  async function load(): Promise<void> {
    const { api } = useTransport()
    follow()
    loading.value = true
    try {
      const [m, s] = await Promise.all([api['outbox.list']({}), api['lis.settings']({})])
      if (m.ok) messages.value = m.value
      if (s.ok) settings.value = s.value
      const failed = !m.ok ? m : !s.ok ? s : null
      error.value = failed && !failed.ok ? failed.error.message : null
    } finally {
      loading.value = false
    }
  }

  async function show(id: number | null): Promise<void> {
    if (id === null) {
      detail.value = null
      return
    }
    const r = await useTransport().api['outbox.get']({ id })
    if (r.ok) detail.value = r.value
    else error.value = r.error.message
  }

  async function retry(id: number): Promise<void> {
    const r = await useTransport().api['outbox.retry']({ id })
    if (r.ok) {
      merge([r.value])
      notice.value = `Message ${id} is queued again.`
      error.value = null
    } else error.value = r.error.message
  }

  async function saveSettings(change: Partial<LisSettings>): Promise<boolean> {
    const r = await useTransport().api['lis.settings'](change)
    if (r.ok) {
      settings.value = r.value
      notice.value = 'LIS settings saved.'
      error.value = null
      return true
    }
    error.value = r.error.issues?.length ? `${r.error.message}: ${r.error.issues.map((i) => `${i.path} ${i.message}`).join('; ')}` : r.error.message
    return false
  }

  /** Queue a signed slide's report for the LIS; the message's progress arrives as events. */
  async function send(slideId: number): Promise<OutboxMessage | null> {
    const r = await useTransport().api['lis.send']({ slideId })
    if (!r.ok) {
      error.value = r.error.message
      return null
    }
    merge([r.value])
    error.value = null
    notice.value = `The report of ${r.value.sampleId} is in the outbox for ${r.value.destination}.`
    return r.value
  }

  return { messages, settings, detail, loading, error, notice, load, show, retry, saveSettings, send, merge, follow, stop }
})
