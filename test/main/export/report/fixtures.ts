// A realistic report for the export tests, built the way the app builds it:
// counts -> differentialCount (exact CIs) -> DifferentialReport.
import { differentialCount } from '../../../../src/main/stats'
import { WBC_CLASSES } from '../../../../src/shared/cells'
import type { DifferentialReport } from '../../../../src/main/export/report'

export function sampleReport(signed: boolean): DifferentialReport {
  const diff = differentialCount({ neutrophil: 58, lymphocyte: 30, monocyte: 6, eosinophil: 3, basophil: 1, smudge: 2 }, { order: WBC_CLASSES })
  return {
    lab: { name: 'Haematology Lab', id: 'HL-01' },
    sample: { sampleId: 'S-2026-0042', orderId: 'ORD|77^A', collectedAt: '2026-03-02T08:30:00+01:00' },
    patient: { id: 'P-1001', familyName: "O'Brien & Sons", givenName: 'Ana~Maria', birthDate: '1980-05-17' },
    lines: diff.lines,
    totalCounted: diff.total,
    model: { name: 'W-Net', version: 'pbc-2026.1' },
    signOff: signed ? { reviewer: 'Dr. Lee | Haematology', signedAt: '2026-03-02T10:15:00+01:00', meaning: 'Reviewed and approved' } : null,
    comments: ['Platelet clumps seen.', 'Check \\ retest: 2nd line'],
    reportedAt: '2026-03-02T10:16:00+01:00'
  }
}
