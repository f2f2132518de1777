// A slide's order and patient: the latest value of each field in its
// append-only log, its audited history, a person's corrections before
// sign-off (refused on a signed slide), and the values an import or a
// worklist brings, which never overwrite what a person set.
import { ORDER_FIELDS, type OrderChange, type OrderField, type OrderSource, type OrderUpdate, type Sex, type SlideOrder } from '../../shared/order'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { appendOrderEntry, orderEntries } from '../store/orders'
import { ReviewError } from '../review/errors'
import { assertEditable, isSigned, requireSlide } from '../review/state'
import { normaliseOrderValue, OrderValueError } from './fields'

interface FieldState {
  value: string | null
  source: OrderSource
}

function currentFields(db: Db, slideId: number): Map<OrderField, FieldState> {
  const out = new Map<OrderField, FieldState>()
  for (const e of orderEntries(db, slideId)) out.set(e.field as OrderField, { value: e.value, source: e.source as OrderSource })
  return out
}

export function slideOrder(db: Db, slideId: number): SlideOrder {
  const slide = requireSlide(db, slideId)
  const f = currentFields(db, slideId)
  const v = (field: OrderField) => f.get(field)?.value ?? null
  const wbc = v('wbcCount')
  return {
    slideId,
    sampleId: slide.sampleId,
    orderId: v('orderId'),
    patientId: v('patientId'),
    familyName: v('familyName'),
    givenName: v('givenName'),
    birthDate: v('birthDate'),
    sex: v('sex') as Sex | null,
    collectedAt: v('collectedAt'),
    location: v('location'),
    wbcCount: wbc === null ? null : Number(wbc),
    readOnly: isSigned(db, slideId)
  }
}

/** Every change of the slide's order, oldest first, with the value it replaced. */
export function orderHistory(db: Db, slideId: number): OrderChange[] {
  requireSlide(db, slideId)
  const last = new Map<string, string | null>()
  return orderEntries(db, slideId).map((e) => {
    const old = last.get(e.field) ?? null
    last.set(e.field, e.value)
    return { field: e.field as OrderField, old, new: e.value, source: e.source as OrderSource, who: e.who, at: e.at, why: e.why }
  })
}

/** Each given field normalised; the first unreadable one refuses the whole update. */
function normalise(update: OrderUpdate): Map<OrderField, string | null> {
  const out = new Map<OrderField, string | null>()
  for (const field of ORDER_FIELDS) {
    if (!(field in update) || update[field] === undefined) continue
    try {
      out.set(field, normaliseOrderValue(field, update[field]!))
    } catch (err) {
      if (err instanceof OrderValueError) throw new ReviewError('invalid_input', `${field}: ${err.message}`)
      throw err
    }
  }
  return out
}

export interface OrderUpdateRequest {
  slideId: number
  changes: OrderUpdate
  who: string
  why?: string
}

/** A person's correction: one audited entry per field that really changes. Refused (conflict) once the slide is signed. */
export function updateSlideOrder(db: Db, req: OrderUpdateRequest): { order: SlideOrder; changed: OrderField[] } {
  const values = normalise(req.changes)
  if (!req.who.trim()) throw new ReviewError('invalid_input', 'say who changes the order')
  return db.transaction(() => {
    requireSlide(db, req.slideId)
    assertEditable(db, req.slideId)
    const now = nowIso()
    const current = currentFields(db, req.slideId)
    const changed: OrderField[] = []
    for (const [field, value] of values) {
      if ((current.get(field)?.value ?? null) === value) continue
      appendOrderEntry(db, { slideId: req.slideId, field, value, source: 'reviewer', who: req.who, at: now, why: req.why ?? '' })
      changed.push(field)
    }
    return { order: slideOrder(db, req.slideId), changed }
  }).immediate()
}

export interface ImportedOrderResult {
  changed: OrderField[]
  /** Fields a person set that the file disagrees with: the person's value stays. */
  kept: { field: OrderField; kept: string | null; file: string | null }[]
  signed: boolean
}

/**
 * Values from a manifest or worklist (already normalised). A field a person
 * set (latest source 'reviewer') is kept and reported; empty values in the
 * file clear nothing; a signed slide takes nothing. Run inside the caller's
 * transaction.
 */
export function applyImportedOrder(
  db: Db,
  slideId: number,
  values: ReadonlyMap<OrderField, string>,
  source: Exclude<OrderSource, 'reviewer'>,
  who: string,
  why: string
): ImportedOrderResult {
  if (isSigned(db, slideId)) return { changed: [], kept: [], signed: true }
  const current = currentFields(db, slideId)
  const now = nowIso()
  const out: ImportedOrderResult = { changed: [], kept: [], signed: false }
  for (const [field, value] of values) {
    const cur = current.get(field)
    if ((cur?.value ?? null) === value) continue
    if (cur?.source === 'reviewer') {
      out.kept.push({ field, kept: cur.value, file: value })
      continue
    }
    appendOrderEntry(db, { slideId, field, value, source, who, at: now, why })
    out.changed.push(field)
  }
  return out
}
