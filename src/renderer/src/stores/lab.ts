// The Lab screen's state: the reference intervals in force (edited as rows,
// saved as a whole table the core checks), the lab's counting rules (global
// review settings: the 200-cell target rule, the second verification, whether
// the analyser's WBC count already excludes NRBC) and importing a LIS
// worklist read from the user's file. Talks only to the API contract.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Result } from '../../../shared/api'
import type { OrderImportReport } from '../../../shared/order'
import type { ReferenceInterval, ReferenceTableView } from '../../../shared/ranges'
import type { ReviewSettings } from '../../../shared/review'
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
  /** The lab's (global) review settings in force. */
  const rules = ref<ReviewSettings | null>(null)
  const rulesError = ref<string | null>(null)

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
    await loadRules()
  }

  async function loadRules(): Promise<void> {
    const r = await useTransport().api['review.settings']({ slideId: null })
    if (r.ok) rules.value = r.value
    else rulesError.value = messageOf(r)
  }

  /** Changes one of the lab's counting rules; the core logs who and when, and every unsigned slide follows it. */
  async function setRule(rule: 'target200From200Cells' | 'secondVerification' | 'wbcCorrectedByAnalyser', on: boolean): Promise<boolean> {
    rulesError.value = null
    const r = await useTransport().api['review.settings']({ slideId: null, [rule]: on })
    if (!r.ok) {
      rulesError.value = messageOf(r)
      return false
    }
    rules.value = r.value
    return true
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

  return { table, rows, name, source, error, notice, worklist, worklistError, rules, rulesError, load, loadRules, setRule, addRow, removeRow, save, reset, importWorklist }
})
