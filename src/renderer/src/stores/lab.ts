// The Lab screen's state: the reference intervals in force (edited as rows,
// saved as a whole table the core checks) and importing a LIS worklist read
// from the user's file. Talks only to the API contract.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Result } from '../../../shared/api'
import type { OrderImportReport } from '../../../shared/order'
import type { ReferenceInterval, ReferenceTableView } from '../../../shared/ranges'
import { useTransport } from '../api/transport'

function messageOf(r: Result<unknown>): string {
  if (r.ok) return ''
  return r.error.issues?.length ? r.error.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ') : r.error.message
}

export const useLabStore = defineStore('lab', () => {
  const table = ref<ReferenceTableView | null>(null)
  /** The rows being edited (a copy of the table's). */
  const rows = ref<ReferenceInterval[]>([])
  const name = ref('')
  const source = ref('')
  const error = ref<string | null>(null)
  const notice = ref<string | null>(null)
  const worklist = ref<OrderImportReport | null>(null)
  const worklistError = ref<string | null>(null)

  function edit(t: ReferenceTableView): void {
    table.value = t
    rows.value = t.intervals.map((r) => ({ ...r }))
    name.value = t.name
    source.value = t.source
  }

  async function load(): Promise<void> {
    const r = await useTransport().api['ranges.get']()
    if (r.ok) edit(r.value)
    else error.value = messageOf(r)
  }

  function addRow(): void {
    rows.value.push({ class: 'neutrophil', measure: 'percent', sex: null, ageFromYears: 0, ageToYears: null, low: null, high: null, criticalLow: null, criticalHigh: null })
  }

  function removeRow(i: number): void {
    rows.value.splice(i, 1)
  }

  async function save(why = ''): Promise<boolean> {
    error.value = null
    notice.value = null
    const r = await useTransport().api['ranges.set']({ table: { name: name.value, source: source.value, intervals: rows.value }, why })
    if (!r.ok) {
      error.value = messageOf(r)
      return false
    }
    edit(r.value)
    notice.value = `Saved: ${r.value.intervals.length} intervals in force.`
    return true
  }

  async function reset(): Promise<void> {
    error.value = null
    const r = await useTransport().api['ranges.set']({ table: null, why: 'back to the default adult table' })
    if (!r.ok) error.value = messageOf(r)
    else {
      edit(r.value)
      notice.value = 'The default adult table is in force again.'
    }
  }

  async function importWorklist(fileName: string, text: string): Promise<void> {
    worklist.value = null
    worklistError.value = null
    const r = await useTransport().api['worklist.import']({ fileName, text })
    if (r.ok) worklist.value = r.value
    else worklistError.value = messageOf(r)
  }

  return { table, rows, name, source, error, notice, worklist, worklistError, load, addRow, removeRow, save, reset, importWorklist }
})
