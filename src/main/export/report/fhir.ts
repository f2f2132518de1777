// FHIR R4 export of a slide's differential: a collection Bundle holding a
// DiagnosticReport (the differential panel), one Observation per class (value
// in UCUM '%', the count and the 95% CI as components, referenceRange and
// interpretation when an interval applies), with the WBC count the absolute
// counts and the WBC (NRBC-corrected when erythroblasts were seen), the
// non-leukocyte objects per 100 WBC, the Patient when known, the ordering
// location (an Encounter at a Location) when the order names one, and, once
// signed, each verifier (the signer, and the second verifier when there is
// one) as a Practitioner with a Provenance carrying their verification
// signature and its time. Ids are derived from the sample and
// report time so the same export is byte-identical when repeated.

import { createHash } from 'node:crypto'
import type {
  Bundle,
  BundleEntry,
  CodeableConcept,
  DiagnosticReport,
  Encounter,
  Location,
  Observation,
  ObservationComponent,
  Patient,
  Practitioner,
  Provenance,
  Reference,
  Resource
} from '@medplum/fhirtypes'
import type { AppliedRange, ResultFlag } from '../../../shared/ranges'
import { capitalise, modelLabel, roundPercent } from './format'
import {
  absoluteCode, DIFFERENTIAL_PANEL, LOCAL_CODE_SYSTEM, LOINC_SYSTEM_URI, lineCode, per100WbcCode, UNITS, WBC_CORRECTED_LOINC, WBC_COUNT_LOINC
} from './loinc'
import { reportStatus, type DifferentialReport } from './types'

const UCUM = 'http://unitsofmeasure.org'
/** Local codes for the statistics attached to each Observation. */
export const STATISTIC_CODE_SYSTEM = 'urn:wbc-workstation:differential-statistic'

function uuidFor(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex')
  // Shaped as an RFC 4122 name-based UUID (version 5 nibble, variant 10xx).
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** FHIR instant needs seconds and a zone; a bare ISO string is normalised through Date. */
function toInstant(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a date-time: "${iso}"`)
  return /T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(iso) ? iso : date.toISOString()
}

const INTERPRETATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation'
const INTERPRETATION_DISPLAY: Record<ResultFlag | 'N', string> = { LL: 'Critical low', L: 'Low', N: 'Normal', H: 'High', HH: 'Critical high' }
const GENDER = { F: 'female', M: 'male', O: 'other', U: 'unknown' } as const

/** referenceRange and interpretation of a result judged against an interval (nothing without one). */
function judged(range: AppliedRange | null | undefined, flag: ResultFlag | null | undefined, unit: { code: string; display: string }): Partial<Observation> {
  if (!range) return {}
  const quantity = (value: number) => ({ value, unit: unit.display, system: UCUM, code: unit.code })
  const code = flag ?? 'N'
  return {
    referenceRange: [
      {
        ...(range.low !== null ? { low: quantity(range.low) } : {}),
        ...(range.high !== null ? { high: quantity(range.high) } : {}),
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/referencerange-meaning', code: 'normal', display: 'Normal Range' }] },
        ...(range.text ? { text: range.text } : {})
      }
    ],
    interpretation: [{ coding: [{ system: INTERPRETATION_SYSTEM, code, display: INTERPRETATION_DISPLAY[code] }] }]
  }
}

function statistic(code: string, display: string): CodeableConcept {
  return { coding: [{ system: STATISTIC_CODE_SYSTEM, code, display }], text: display }
}

export function differentialToFhir(report: DifferentialReport): Bundle {
  const status = reportStatus(report)
  const seed = `${report.sample.sampleId}\n${report.reportedAt}`
  const issued = toInstant(report.reportedAt)
  const entries: BundleEntry[] = []
  const add = <T extends Resource>(resource: T, key: string): Reference<T> => {
    const id = uuidFor(`${seed}\n${key}`)
    entries.push({ fullUrl: `urn:uuid:${id}`, resource: { ...resource, id } })
    // Reference.type states the target type, which a urn:uuid reference cannot show.
    return { reference: `urn:uuid:${id}`, type: resource.resourceType }
  }

  let subject: Reference<Patient> | undefined
  const p = report.patient
  if (p && (p.id || p.familyName || p.givenName)) {
    const patient: Patient = { resourceType: 'Patient' }
    if (p.id) patient.identifier = [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, value: p.id }]
    if (p.familyName || p.givenName) {
      patient.name = [{ ...(p.familyName ? { family: p.familyName } : {}), ...(p.givenName ? { given: [p.givenName] } : {}) }]
    }
    if (p.birthDate) patient.birthDate = p.birthDate
    if (p.sex) patient.gender = GENDER[p.sex]
    subject = add(patient, 'patient')
  }

  // Where the order came from (the ward, clinic or unit: HL7 v2 PV1-3) as the visit's Location, as a LIS reads it.
  let encounter: Reference<Encounter> | undefined
  if (report.sample.location) {
    const location = add<Location>({ resourceType: 'Location', name: report.sample.location }, 'location')
    encounter = add<Encounter>(
      {
        resourceType: 'Encounter',
        status: 'unknown',
        // The workstation is not told whether the patient is in or out: class unknown (v3 NullFlavor).
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' },
        ...(subject ? { subject } : {}),
        location: [{ location: { ...location, display: report.sample.location } }]
      },
      'encounter'
    )
  }

  // Each verifier as a Practitioner (identified by their login on this workstation), in signing order.
  const signatures = [report.signOff, report.secondVerification].filter((s): s is NonNullable<typeof s> => !!s)
  const verifiers: { signature: (typeof signatures)[number]; ref: Reference<Practitioner> }[] = signatures.map((s, i) => {
    const practitioner: Practitioner = {
      resourceType: 'Practitioner',
      ...(s.reviewerId ? { identifier: [{ system: 'urn:wbc-workstation:user', value: s.reviewerId }] } : {}),
      name: [{ text: s.reviewer }]
    }
    return { signature: s, ref: { ...add(practitioner, i === 0 ? 'reviewer' : 'second-verifier'), display: s.reviewer } }
  })
  const interpreters = verifiers.map((v) => v.ref)

  const modelName = modelLabel(report.model)
  const method: CodeableConcept = { text: `Digital cell morphology, classified by model ${modelName}` }
  const lab = report.results
  const results: Reference<Observation>[] = report.lines.map((line, i) => {
    const code = lineCode(line.label)
    const labLine = lab?.lines[i]?.label === line.label ? lab.lines[i] : undefined
    const component: ObservationComponent[] = [
      { code: statistic('cells-of-class', 'Cells of this class counted'), valueInteger: line.count },
      { code: statistic('cells-counted', 'Cells counted in total'), valueInteger: report.totalCounted },
      {
        code: statistic('ci95-exact-binomial', '95% confidence interval (exact binomial, Clopper-Pearson)'),
        valueRange: {
          low: { value: roundPercent(line.ciLow), unit: '%', system: UCUM, code: '%' },
          high: { value: roundPercent(line.ciHigh), unit: '%', system: UCUM, code: '%' }
        }
      }
    ]
    const observation: Observation = {
      resourceType: 'Observation',
      status,
      category: [
        {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }]
        }
      ],
      code: {
        coding: [{ system: code.system === 'loinc' ? LOINC_SYSTEM_URI : LOCAL_CODE_SYSTEM, code: code.code, display: code.display }],
        text: `${capitalise(line.label)} %`
      },
      ...(subject ? { subject } : {}),
      ...(report.sample.collectedAt ? { effectiveDateTime: report.sample.collectedAt } : {}),
      issued,
      ...(interpreters.length ? { performer: interpreters } : {}),
      valueQuantity: { value: roundPercent(line.percent), unit: '%', system: UCUM, code: '%' },
      ...judged(labLine?.percent.range, labLine?.percent.flag, UNITS.percent),
      method,
      component
    }
    return add(observation, `observation:${line.label}`)
  })

  /** A further result of the panel (WBC, absolute count, per 100 WBC). */
  const more = (
    key: string,
    code: { system: 'loinc' | 'local'; code: string; display: string },
    text: string,
    value: number,
    unit: { code: string; display: string },
    range?: AppliedRange | null,
    flag?: ResultFlag | null,
    extra: Partial<Observation> = {}
  ) => {
    const observation: Observation = {
      resourceType: 'Observation',
      status,
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
      code: { coding: [{ system: code.system === 'loinc' ? LOINC_SYSTEM_URI : LOCAL_CODE_SYSTEM, code: code.code, display: code.display }], text },
      ...(subject ? { subject } : {}),
      ...(report.sample.collectedAt ? { effectiveDateTime: report.sample.collectedAt } : {}),
      issued,
      ...(interpreters.length ? { performer: interpreters } : {}),
      valueQuantity: { value, unit: unit.display, system: UCUM, code: unit.code },
      ...judged(range, flag, unit),
      ...extra
    }
    results.push(add(observation, `observation:${key}`))
  }
  if (lab?.wbc) {
    const wbc = lab.wbc
    more(
      'wbc',
      { system: 'loinc', ...WBC_COUNT_LOINC },
      'WBC',
      wbc.measured,
      UNITS.absolute,
      wbc.corrected === null ? wbc.range : null,
      wbc.corrected === null ? wbc.flag : null,
      wbc.correctedByAnalyser ? { note: [{ text: "The analyser's count, which already excludes nucleated red cells: not corrected again." }] } : {}
    )
    if (wbc.corrected !== null) {
      more('wbc-corrected', { system: 'loinc', ...WBC_CORRECTED_LOINC }, 'WBC corrected for NRBC', wbc.corrected, UNITS.absolute, wbc.range, wbc.flag, {
        note: [{ text: 'WBC x 100 / (100 + NRBC per 100 WBC); the absolute counts use it.' }]
      })
    }
    for (const l of lab.lines) {
      if (l.absolute) more(`absolute:${l.label}`, absoluteCode(l.label), `${capitalise(l.label)} #`, l.absolute.value, UNITS.absolute, l.absolute.range, l.absolute.flag, { method })
    }
  }
  for (const o of lab?.perHundredWbc ?? []) {
    more(`per100:${o.label}`, per100WbcCode(o.label), `${capitalise(o.label)} /100 WBC`, o.per100, UNITS.per100Wbc, o.range, o.flag, {
      method,
      component: [{ code: statistic('cells-of-class', 'Cells of this class counted'), valueInteger: o.count }, { code: statistic('cells-counted', 'Cells counted in total'), valueInteger: report.totalCounted }]
    })
  }

  const diagnosticReport: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    identifier: [
      { system: 'urn:wbc-workstation:sample', value: report.sample.sampleId },
      // The order (accession) number, typed as the placer's identifier (v2 table 0203 PLAC).
      ...(report.sample.orderId
        ? [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'PLAC', display: 'Placer Identifier' }] }, system: 'urn:wbc-workstation:order', value: report.sample.orderId }]
        : [])
    ],
    status,
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'HM', display: 'Hematology' }] }],
    code: {
      coding: [{ system: LOINC_SYSTEM_URI, code: DIFFERENTIAL_PANEL.code, display: DIFFERENTIAL_PANEL.display }],
      text: 'White blood cell differential count'
    },
    ...(subject ? { subject } : {}),
    ...(encounter ? { encounter } : {}),
    ...(report.sample.collectedAt ? { effectiveDateTime: report.sample.collectedAt } : {}),
    issued,
    ...(interpreters.length ? { resultsInterpreter: interpreters } : {}),
    result: results,
    ...(report.comments.length > 0 ? { conclusion: report.comments.join('\n') } : {})
  }
  const reportRef = add(diagnosticReport, 'diagnostic-report')

  // One Provenance per signature: who verified, when (the workstation's clock) and what it means.
  verifiers.forEach(({ signature, ref }, i) => {
    const provenance: Provenance = {
      resourceType: 'Provenance',
      target: [reportRef],
      recorded: toInstant(signature.signedAt),
      reason: [{ text: signature.meaning }],
      agent: [
        {
          type: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'verifier', display: 'Verifier' }]
          },
          who: ref
        }
      ],
      signature: [
        {
          type: [{ system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.5', display: 'Verification Signature' }],
          when: toInstant(signature.signedAt),
          who: ref
        }
      ]
    }
    add(provenance, i === 0 ? 'provenance' : 'provenance-second-verification')
  })

  // The report first: readers that take the first entry as the subject of the bundle get the panel.
  const reportEntry = entries.splice(entries.findIndex((e) => e.resource?.resourceType === 'DiagnosticReport'), 1)
  return {
    resourceType: 'Bundle',
    id: uuidFor(`${seed}\nbundle`),
    identifier: { system: 'urn:wbc-workstation:differential-export', value: uuidFor(`${seed}\nbundle-identifier`) },
    type: 'collection',
    timestamp: issued,
    entry: [...reportEntry, ...entries]
  }
}
