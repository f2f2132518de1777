// The admin's worker-machine credentials (docs/scale.md): the list (revoked
// ones included, never a secret), issuing one, whose secret this store holds
// only until the admin has taken it (the core keeps a hash and can never show
// it again), and revoking one (its worker stops at its next call). Talks only
// to the contract's workers.* methods (admin only; the core refuses anyone else).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Result } from '../../../shared/api'
import type { WorkerCredentialSummary } from '../../../shared/workers'
import { useTransport } from '../api/transport'
import { messageOf } from './result-message'

export const useWorkersStore = defineStore('workers', () => {
  const credentials = ref<WorkerCredentialSummary[]>([])
  const error = ref<string | null>(null)
  const busy = ref(false)
  /** The secret just issued, until the admin says it is taken (then it is gone for good). */
  const issued = ref<{ name: string; secret: string } | null>(null)

  async function load(): Promise<void> {
    const r = await useTransport().api['workers.list']()
    if (r.ok) {
      credentials.value = r.value
      error.value = null
    } else error.value = messageOf(r)
  }

  async function act<T>(call: () => Promise<Result<T>>): Promise<T | null> {
    busy.value = true
    try {
      const r = await call()
      if (!r.ok) {
        error.value = messageOf(r)
        return null
      }
      error.value = null
      await load()
      return r.value
    } finally {
      busy.value = false
    }
  }

  async function issue(name: string): Promise<boolean> {
    issued.value = null
    const c = await act(() => useTransport().api['workers.issue']({ name }))
    if (c) issued.value = { name: c.name, secret: c.secret }
    return c !== null
  }

  async function revoke(name: string): Promise<boolean> {
    if (issued.value?.name === name) issued.value = null
    return (await act(() => useTransport().api['workers.revoke']({ name }))) !== null
  }

  /** The admin has the secret (in the worker's token file): forget it here. */
  function forgetSecret(): void {
    issued.value = null
  }

  return { credentials, error, busy, issued, load, issue, revoke, forgetSecret }
})
