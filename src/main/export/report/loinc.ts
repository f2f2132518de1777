// LOINC codes of the five-part differential (percent of leukocytes). The
// "Automated count" method codes are used because the classification is made by
// the software; a specialist reviewing it does not make it a manual count. The
// panel is "Differential panel, method unspecified" because the report carries
// the differential only, not a CBC. Labels outside the five have no code here
// and are sent with a local code (see LOCAL_CODE_SYSTEM), except immature
// granulocytes (counted, with their own LOINC codes) and erythroblasts (per
// 100 WBC, 58413-6).
import { cellLabelTitle } from '../../../shared/cells'

import type { WbcClass } from '../../../shared/cells'

export interface LoincCode {
  code: string
  display: string
}

export const LOINC_SYSTEM_URI = 'http://loinc.org'

export const DIFFERENTIAL_PANEL: LoincCode = {
  code: '69738-3',
  display: 'Differential panel, method unspecified - Blood'
}

export const DIFFERENTIAL_PERCENT_LOINC: Readonly<Record<WbcClass, LoincCode>> = {
  neutrophil: { code: '770-8', display: 'Neutrophils/100 leukocytes in Blood by Automated count' },
  eosinophil: { code: '713-8', display: 'Eosinophils/100 leukocytes in Blood by Automated count' },
  basophil: { code: '706-2', display: 'Basophils/100 leukocytes in Blood by Automated count' },
  lymphocyte: { code: '736-9', display: 'Lymphocytes/100 leukocytes in Blood by Automated count' },
  monocyte: { code: '5905-5', display: 'Monocytes/100 leukocytes in Blood by Automated count' }
}

/**
 * Immature granulocytes (the eight-class model's `ig`), counted as the
 * leukocytes they are: % of leukocytes by automated count (71695-1) and the
 * absolute count (51584-1, "Immature granulocytes [#/volume] in Blood").
 */
export const IG_PERCENT_LOINC: LoincCode = { code: '71695-1', display: 'Immature granulocytes/100 leukocytes in Blood by Automated count' }
export const IG_ABSOLUTE_LOINC: LoincCode = { code: '51584-1', display: 'Immature granulocytes [#/volume] in Blood' }

/** HL7 v2 name of a local coding system (the "99zzz" form the standard reserves for local tables). */
export const LOCAL_HL7_CODING_SYSTEM = '99WBC'
/** URI of the same local code system in FHIR. */
export const LOCAL_CODE_SYSTEM = 'urn:wbc-workstation:cell-label'

export function lineCode(label: string): { system: 'loinc' | 'local'; code: string; display: string } {
  const loinc = label === 'ig' ? IG_PERCENT_LOINC : (DIFFERENTIAL_PERCENT_LOINC as Record<string, LoincCode>)[label]
  if (loinc) return { system: 'loinc', ...loinc }
  return { system: 'local', code: label, display: `${cellLabelTitle(label)}/100 cells counted` }
}

/** Absolute counts (x10^9/L) of the five, "Automated count" terms like the % codes. */
export const DIFFERENTIAL_ABSOLUTE_LOINC: Readonly<Record<WbcClass, LoincCode>> = {
  neutrophil: { code: '751-8', display: 'Neutrophils [#/volume] in Blood by Automated count' },
  eosinophil: { code: '711-2', display: 'Eosinophils [#/volume] in Blood by Automated count' },
  basophil: { code: '704-7', display: 'Basophils [#/volume] in Blood by Automated count' },
  lymphocyte: { code: '731-0', display: 'Lymphocytes [#/volume] in Blood by Automated count' },
  monocyte: { code: '742-7', display: 'Monocytes [#/volume] in Blood by Automated count' }
}

/** The analyser's WBC count the absolute counts are computed from. */
export const WBC_COUNT_LOINC: LoincCode = { code: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count' }
/** The WBC count corrected for the nucleated red cells seen in the differential. */
export const WBC_CORRECTED_LOINC: LoincCode = { code: '12227-5', display: 'Leukocytes [#/volume] corrected for nucleated erythrocytes in Blood' }
/** Erythroblasts per 100 leukocytes (LOINC's mapping guide: the automated-count term fits almost all NRBC results). */
export const NRBC_PER_100_LOINC: LoincCode = { code: '58413-6', display: 'Nucleated erythrocytes/100 leukocytes [Ratio] in Blood by Automated count' }

/** UCUM units of the three kinds of result. */
export const UNITS = {
  percent: { code: '%', display: 'percent' },
  absolute: { code: '10*9/L', display: '10^9/L' },
  per100Wbc: { code: '/100{WBCs}', display: 'per 100 WBC' }
} as const

/** Code of an absolute count: LOINC for the five, else local (`<label>#`). */
export function absoluteCode(label: string): { system: 'loinc' | 'local'; code: string; display: string } {
  const loinc = label === 'ig' ? IG_ABSOLUTE_LOINC : (DIFFERENTIAL_ABSOLUTE_LOINC as Record<string, LoincCode>)[label]
  if (loinc) return { system: 'loinc', ...loinc }
  return { system: 'local', code: `${label}#`, display: `${label} [#/volume] in Blood` }
}

/** Code of a non-leukocyte object counted per 100 WBC: LOINC for erythroblasts, else local (`<label>/100WBC`). */
export function per100WbcCode(label: string): { system: 'loinc' | 'local'; code: string; display: string } {
  if (label === 'erythroblast') return { system: 'loinc', ...NRBC_PER_100_LOINC }
  return { system: 'local', code: `${label}/100WBC`, display: `${label}/100 leukocytes in Blood` }
}
