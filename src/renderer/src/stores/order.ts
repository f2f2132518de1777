// The order and patient of the slide under review: read with the slide,
// corrected before sign-off (each change audited by the core), and its
// change history. Talks only to the API contract.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Input, Result } from '../../../shared/api'
import type { OrderChange, OrderUpdate, SlideOrder } from '../../../shared/order'
import { useTransport } from '../api/transport'

function messageOf(r: Result<unknown>): string {
  if (r.ok) return ''
  return r.error.issues?.length ? r.error.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ') : r.error.message
}

export const useOrderStore = defineStore('order', () => {
  const order = ref<SlideOrder | null>(null)
  const changes = ref<OrderChange[]>([])
  const error = ref<string | null>(null)
  const saving = ref(false)

  async function load(slideId: number): Promise<void> {
    const { api } = useTransport()
    const [o, h] = await Promise.all([api['order.get']({ slideId }), api['order.history']({ slideId })])
    if (o.ok) order.value = o.value
    else error.value = messageOf(o)
    if (h.ok) changes.value = h.value
  }

  /** Saves the fields that differ from what is stored; true when the core took them. */
  async function save(update: OrderUpdate, why = ''): Promise<boolean> {
    const current = order.value
    if (!current) return false
    const changed = Object.fromEntries(Object.entries(update).filter(([k, v]) => (current as unknown as Record<string, unknown>)[k] !== v)) as OrderUpdate
    if (Object.keys(changed).length === 0) return true
    saving.value = true
    error.value = null
    try {
      const r = await useTransport().api['order.update']({ slideId: current.slideId, changes: changed as Input<'order.update'>['changes'], why })
      if (!r.ok) {
        error.value = messageOf(r)
        return false
      }
      order.value = r.value
      const h = await useTransport().api['order.history']({ slideId: current.slideId })
      if (h.ok) changes.value = h.value
      return true
    } finally {
      saving.value = false
    }
  }

  function clear(): void {
    order.value = null
    changes.value = []
    error.value = null
  }

  return { order, changes, error, saving, load, save, clear }
})
