// `wbc review settings`: the review settings in force (the Unidentified
// threshold, the target count, the lab's 200-cell target rule, whether the
// analyser's WBC count already excludes NRBC), global or for
// one slide, and changing them, through the review core the app uses.
import { TARGET_COUNTS, type TargetCount } from '../../shared/review'
import { reviewSettings, setReviewSettings } from '../../main/review'
import type { CliCommand } from '../context'
import { findSlide } from './slide'

function parseOnOff(v: string): boolean {
  if (/^(on|yes|true|1)$/i.test(v)) return true
  if (/^(off|no|false|0)$/i.test(v)) return false
  throw new Error(`expected on or off, got "${v}"`)
}

export const reviewSettingsCommand: CliCommand = (cli) => {
  const review = cli.group('review', 'review settings')
  review
    .command('settings')
    .description('show or change the review settings (global, or one slide with --slide); with no change: show them')
    .option('--slide <slide>', 'one slide (sample id or slide id) instead of the global settings')
    .option('--threshold <confidence>', 'model calls under this confidence (0-1) go to Unidentified')
    .option('--target <n>', `cells to count: ${TARGET_COUNTS.join(' or ')}`)
    .option('--target-200-from-200-cells <on|off>', 'lab rule (global only): a slide of 200 or more cells counts to 200 unless it names its own target', parseOnOff)
    .option('--wbc-corrected-by-analyser <on|off>', "lab setting (global only): the analyser's WBC count already excludes NRBC, so it is not corrected again", parseOnOff)
    .option('--who <name>', 'who changes them (recorded)', '')
    .option('--json', 'print as JSON')
    .action((o: { slide?: string; threshold?: string; target?: string; target200From200Cells?: boolean; wbcCorrectedByAnalyser?: boolean; who: string; json?: boolean }) => {
      const db = cli.openDb()
      const slideId = o.slide === undefined ? null : findSlide(db, o.slide)
      const threshold = o.threshold === undefined ? undefined : Number(o.threshold)
      if (threshold !== undefined && !(o.threshold!.trim() !== '' && threshold >= 0 && threshold <= 1)) throw new Error('--threshold is a confidence between 0 and 1')
      const target = o.target === undefined ? undefined : Number(o.target)
      if (target !== undefined && !(TARGET_COUNTS as readonly number[]).includes(target)) throw new Error(`--target must be ${TARGET_COUNTS.join(' or ')}`)
      const changing = threshold !== undefined || target !== undefined || o.target200From200Cells !== undefined || o.wbcCorrectedByAnalyser !== undefined
      const s = changing
        ? setReviewSettings(db, {
            slideId,
            ...(threshold !== undefined ? { unidentifiedThreshold: threshold } : {}),
            ...(target !== undefined ? { targetCount: target as TargetCount } : {}),
            ...(o.target200From200Cells !== undefined ? { target200From200Cells: o.target200From200Cells } : {}),
            ...(o.wbcCorrectedByAnalyser !== undefined ? { wbcCorrectedByAnalyser: o.wbcCorrectedByAnalyser } : {}),
            who: o.who.trim() || 'command line'
          })
        : reviewSettings(db, slideId)
      if (o.json) return cli.json(s)
      cli.out(
        [
          `${slideId === null ? 'global' : `slide ${o.slide}`}: Unidentified below ${s.unidentifiedThreshold}${s.unidentifiedThresholdFrom ? ` (${{ slide: "the slide's own", lab: "the lab's", model: "the model card's, chosen on measured figures", default: 'the fixed default: the model card chose none' }[s.unidentifiedThresholdFrom]})` : ''}, target ${s.targetCount} cells`,
          `lab rule, 200 cells for a slide of 200 or more: ${s.target200From200Cells ? 'on' : 'off'}`,
          `analyser's WBC count already excludes NRBC (not corrected again): ${s.wbcCorrectedByAnalyser ? 'on' : 'off'}`
        ].join('\n')
      )
    })
}
