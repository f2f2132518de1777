// How an order field is read from a file or a form: the column names a
// manifest or worklist may use for it, and each value's normal form. A value
// that cannot be read unambiguously is refused with a plain reason rather
// than guessed (03/04/1950 could be either day first or month first).
import { SEXES, type OrderField, type Sex } from '../../shared/order'

/** Column names are compared lower-case with everything but letters and digits removed ("Date of Birth" = "date_of_birth" = "DOB"?: no, see the lists). */
export function columnKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '')
}

/** The column a header names: a field, the sample id, or a whole patient name to split. */
export type OrderColumn = OrderField | 'sampleId' | 'patientName'

const ALIASES: Record<OrderColumn, string[]> = {
  sampleId: ['sampleid', 'sample', 'sampleno', 'samplenumber', 'specimenid', 'specimen', 'specimenno', 'specimennumber', 'slide', 'slideid', 'barcode', 'samplebarcode', 'tubeid'],
  orderId: ['orderid', 'order', 'orderno', 'ordernumber', 'accession', 'accessionno', 'accessionnumber', 'accessionid', 'requestid', 'requestno', 'requestnumber', 'labno', 'labnumber', 'placerorderid', 'placerordernumber'],
  patientId: ['patientid', 'patid', 'pid', 'mrn', 'medicalrecordnumber', 'patientno', 'patientnumber', 'hospitalnumber', 'patientmrn'],
  patientName: ['patientname', 'name', 'fullname', 'patient'],
  familyName: ['familyname', 'lastname', 'surname', 'patientlastname', 'patientsurname', 'patientfamilyname'],
  givenName: ['givenname', 'firstname', 'forename', 'patientfirstname', 'patientgivenname'],
  birthDate: ['birthdate', 'dob', 'dateofbirth', 'birthday', 'patientdob', 'patientbirthdate'],
  sex: ['sex', 'gender', 'patientsex', 'patientgender'],
  collectedAt: ['collectiontime', 'collectiondate', 'collectiondatetime', 'collected', 'collectedat', 'collectedon', 'drawtime', 'drawn', 'drawndate', 'sampletime', 'samplingtime', 'specimencollectiontime', 'collectiondt'],
  location: ['location', 'orderinglocation', 'requestinglocation', 'ward', 'department', 'dept', 'clinic', 'unit', 'sender', 'requester'],
  wbcCount: ['wbc', 'wbccount', 'whitecellcount', 'whitebloodcellcount', 'leukocytes', 'leucocytes', 'leukocytecount', 'totalwbc', 'wbc109l', 'wbcx109l', 'wbc10e9l']
}

const BY_KEY = new Map<string, OrderColumn>()
for (const [column, names] of Object.entries(ALIASES) as [OrderColumn, string[]][]) for (const n of names) BY_KEY.set(n, column)

/** The order column a header cell names, if any. */
export function orderColumn(header: string): OrderColumn | undefined {
  return BY_KEY.get(columnKey(header))
}

/** Every accepted column name per column, for the docs and `--help`. */
export function orderColumnAliases(): Readonly<Record<OrderColumn, readonly string[]>> {
  return ALIASES
}

export class OrderValueError extends Error {
  constructor(
    readonly field: OrderColumn,
    message: string
  ) {
    super(message)
    this.name = 'OrderValueError'
  }
}

/** "Doe^John" (HL7) or "Doe, John" splits into family and given; anything else is kept whole as the family name. */
export function splitPatientName(raw: string): { familyName: string | null; givenName: string | null } {
  const text = raw.trim()
  const m = /^([^,^]+)[,^]\s*([^,^]*)/.exec(text)
  if (m) return { familyName: m[1]!.trim() || null, givenName: m[2]!.trim() || null }
  return { familyName: text || null, givenName: null }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function validDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}

/** YYYY-MM-DD from 1950-03-04, 19500304 (HL7) or 04.03.1950 (day first, as written with dots). Slashes are refused: day or month first cannot be told. */
export function parseBirthDate(raw: string): string {
  const s = raw.trim()
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:T00:00(?::00)?(?:\.0+)?Z?)?$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s)
  let y: number, mo: number, d: number
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  else if ((m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s))) [y, mo, d] = [Number(m[3]), Number(m[2]), Number(m[1])]
  else if (/^\d{1,4}\/\d{1,2}\/\d{1,4}$/.test(s)) throw new OrderValueError('birthDate', `"${s}": day/month order cannot be told; write the date as YYYY-MM-DD`)
  else throw new OrderValueError('birthDate', `"${s}" is not a date (YYYY-MM-DD)`)
  if (!validDate(y, mo, d)) throw new OrderValueError('birthDate', `"${s}" is not a calendar date`)
  const iso = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`
  if (iso > new Date().toISOString().slice(0, 10)) throw new OrderValueError('birthDate', `"${s}" is in the future`)
  return iso
}

/** Offset of the workstation's zone at that wall-clock time, as +HH:MM. */
function localOffset(y: number, mo: number, d: number, h: number, mi: number): string {
  const minutes = -new Date(y, mo - 1, d, h, mi).getTimezoneOffset()
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/**
 * ISO 8601 date-time with an offset. Accepts ISO (with or without zone),
 * 'YYYY-MM-DD HH:MM[:SS]' and HL7 'YYYYMMDDHHMM[SS][+ZZZZ]'; a time written
 * without a zone is the workstation's local time, and gets its offset.
 */
export function parseCollectedAt(raw: string): string {
  const s = raw.trim()
  let m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s)
  if (!m) {
    const h = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(s)
    if (h) m = h
  }
  if (!m) throw new OrderValueError('collectedAt', `"${s}" is not a date-time (YYYY-MM-DDTHH:MM with an optional zone)`)
  const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(m![i] ?? 0)) as [number, number, number, number, number, number]
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || sec > 59) throw new OrderValueError('collectedAt', `"${s}" is not a valid date-time`)
  let zone = m[7]
  if (zone === undefined) zone = localOffset(y, mo, d, h, mi)
  else if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`
  const iso = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(sec)}${zone}`
  if (Number.isNaN(Date.parse(iso))) throw new OrderValueError('collectedAt', `"${s}" is not a valid date-time`)
  return iso
}

const SEX_WORDS: Record<string, Sex> = {
  f: 'F', female: 'F', w: 'F', woman: 'F', weiblich: 'F', femme: 'F',
  m: 'M', male: 'M', man: 'M', mannlich: 'M', maennlich: 'M', homme: 'M',
  o: 'O', other: 'O', d: 'O', divers: 'O', diverse: 'O', x: 'O',
  u: 'U', unknown: 'U', unk: 'U'
}

export function parseSex(raw: string): Sex {
  const key = columnKey(raw)
  const sex = SEX_WORDS[key]
  if (!sex || !(SEXES as readonly string[]).includes(sex)) throw new OrderValueError('sex', `"${raw.trim()}" is not a sex (F, M, O or U)`)
  return sex
}

/** The analyser's WBC in x10^9/L; a comma decimal is read too. Values of 1000 and more are refused as likely per µL. */
export function parseWbcCount(raw: string | number): number {
  const n = typeof raw === 'number' ? raw : Number(raw.trim().replace(',', '.'))
  if (typeof raw === 'string' && !/^\d+(?:[.,]\d+)?$/.test(raw.trim())) throw new OrderValueError('wbcCount', `"${raw.trim()}" is not a WBC count in x10^9/L`)
  if (!Number.isFinite(n) || n <= 0) throw new OrderValueError('wbcCount', `${raw} is not a WBC count above 0 (x10^9/L)`)
  if (n >= 1000) throw new OrderValueError('wbcCount', `${raw} is too high for x10^9/L (a count per µL? divide by 1000)`)
  return n
}

function text(field: OrderField, raw: string, max = 200): string | null {
  const s = raw.replace(/[\r\n\t]+/g, ' ').trim()
  if (s.length > max) throw new OrderValueError(field, `${field} is longer than ${max} characters`)
  return s || null
}

/** A field's stored text from what a file or a form gave (null: cleared). Throws OrderValueError. */
export function normaliseOrderValue(field: OrderField, raw: string | number | null): string | null {
  if (raw === null) return null
  if (typeof raw === 'number') {
    if (field !== 'wbcCount') throw new OrderValueError(field, `${field} takes text, not a number`)
    return String(parseWbcCount(raw))
  }
  if (raw.trim() === '') return null
  switch (field) {
    case 'birthDate':
      return parseBirthDate(raw)
    case 'collectedAt':
      return parseCollectedAt(raw)
    case 'sex':
      return parseSex(raw)
    case 'wbcCount':
      return String(parseWbcCount(raw))
    default:
      return text(field, raw)
  }
}
