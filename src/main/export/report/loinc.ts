// LOINC codes of the five-part differential (percent of leukocytes). The
// "Automated count" method codes are used because the classification is made by
// the software; a specialist reviewing it does not make it a manual count. The
// panel is "Differential panel, method unspecified" because the report carries
// the differential only, not a CBC. Labels outside the five have no code here
// and are sent with a local code (see LOCAL_CODE_SYSTEM).

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

/** HL7 v2 name of a local coding system (the "99zzz" form the standard reserves for local tables). */
export const LOCAL_HL7_CODING_SYSTEM = '99WBC'
/** URI of the same local code system in FHIR. */
export const LOCAL_CODE_SYSTEM = 'urn:wbc-workstation:cell-label'

export function lineCode(label: string): { system: 'loinc' | 'local'; code: string; display: string } {
  const loinc = (DIFFERENTIAL_PERCENT_LOINC as Record<string, LoincCode>)[label]
  if (loinc) return { system: 'loinc', ...loinc }
  return { system: 'local', code: label, display: `${label}/100 cells counted` }
}
