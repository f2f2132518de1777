// The contract's model and run methods over the models and runs services
// (src/main/services): stored models and the default one, runs as list rows
// and reports, and starting training / cross-validation / transfer /
// calibration as jobs once the models service has checked the request (the
// ML core runs inside the job's worker thread; see tasks/). What is left here
// is translation: the job's title and its parameters.
import type { Method } from '../../shared/api'
import { DEFAULT_ARCHITECTURE_INPUT, ARCHITECTURE_LABELS } from '../../shared/models'
import { checkDropoutOff, chooseDefaultModel, modelSummaries, refuseIfTraining, requireCalibratable, requireDataset, requireRetrainable } from '../services/models'
import { runList, runReport } from '../services/runs'
import { requireAdaptable } from '../services/site-adaptation'
import { getDefaultModel, getModel } from '../store/models'
import type { Handlers } from './dispatch'
import type { ApiContext } from './handlers'

type ModelMethod = Extract<Method, 'models.list' | 'models.setDefault' | 'models.calibrate' | 'runs.list' | 'runs.get' | 'train.start' | 'crossval.start' | 'transfer.start' | 'adapt.start'>

/** The title's note on dropout-off epochs (checked by the models service). */
function dropoutOff(p: { epochs: number; dropoutOffEpochs: number }): string {
  checkDropoutOff(p)
  return p.dropoutOffEpochs > 0 ? `, the last ${p.dropoutOffEpochs} with dropout off` : ''
}

/** The recipe choices that differ from the paper's plain run, for the job's title. */
function recipe(p: { schedule: string; balance: string; augment: boolean }): string {
  const parts = [p.schedule === 'cosine' ? 'cosine lr' : '', p.balance === 'sampler' ? 'class-balanced sampler' : p.balance === 'weights' ? 'class-weighted loss' : '', p.augment ? 'flips/rotations' : '']
  const said = parts.filter(Boolean)
  return said.length ? ` (${said.join(', ')})` : ''
}

export function modelHandlers(ctx: Pick<ApiContext, 'db' | 'jobs'>): Pick<Handlers, ModelMethod> {
  const notWhileTraining = (): void => refuseIfTraining(ctx.jobs.list())
  return {
    'models.list': () => modelSummaries(ctx.db),
    'models.setDefault': ({ id }) => {
      const chosen = chooseDefaultModel(ctx.db, id)
      ctx.jobs.defaultModelChanged()
      return chosen
    },
    'models.calibrate': (p) => {
      const m = requireCalibratable(ctx.db, p)
      notWhileTraining()
      const job = ctx.jobs.start('calibrate', `Calibrate Unidentified routing of ${m.name} against ${p.other} (at most ${(p.target * 100).toFixed(1)}% of WBCs)`, p)
      return { jobId: job.id }
    },
    'runs.list': () => runList(ctx.db),
    'runs.get': ({ id }) => runReport(ctx.db, id),
    'train.start': (p) => {
      const off = dropoutOff(p)
      requireDataset(ctx.db, p.dataset)
      notWhileTraining()
      const inputSize = p.inputSize ?? DEFAULT_ARCHITECTURE_INPUT[p.architecture]
      const title = `Train ${ARCHITECTURE_LABELS[p.architecture]} ${inputSize} px, ${p.epochs} epoch${p.epochs === 1 ? '' : 's'}${off}${recipe(p)} on ${p.dataset}`
      const job = ctx.jobs.start('train', title, { ...p, inputSize })
      return { jobId: job.id }
    },
    'transfer.start': (p) => {
      const off = dropoutOff(p)
      const base = requireRetrainable(ctx.db, p.baseModelId)
      requireDataset(ctx.db, p.dataset)
      notWhileTraining()
      const arch = ARCHITECTURE_LABELS[base.architecture]
      const title = `Transfer from ${base.name} (${arch} ${base.inputSize} px): scratch vs fine-tune ${p.modes.join(' / ')}, ${p.folds}-fold, ${p.epochs} epoch${p.epochs === 1 ? '' : 's'}${off}${recipe(p)} on ${p.dataset}`
      const job = ctx.jobs.start('transfer', title, p)
      return { jobId: job.id }
    },
    'adapt.start': (p) => {
      requireAdaptable(ctx.db, p)
      notWhileTraining()
      const base = p.baseModelId !== undefined ? getModel(ctx.db, p.baseModelId) : getDefaultModel(ctx.db)
      const job = ctx.jobs.start('adapt', `Adapt ${base ? base.name : 'the default model'} to ${p.dataset}${p.epochs !== undefined ? ` (${p.epochs} epoch${p.epochs === 1 ? '' : 's'})` : ''}`, p)
      return { jobId: job.id }
    },
    'crossval.start': (p) => {
      const off = dropoutOff(p)
      requireDataset(ctx.db, p.dataset)
      notWhileTraining()
      const inputSize = p.inputSize ?? DEFAULT_ARCHITECTURE_INPUT[p.architecture]
      const title = `${p.folds}-fold cross-validation of ${ARCHITECTURE_LABELS[p.architecture]} ${inputSize} px, ${p.epochs} epoch${p.epochs === 1 ? '' : 's'}${off}${recipe(p)} on ${p.dataset}`
      const job = ctx.jobs.start('crossval', title, { ...p, inputSize })
      return { jobId: job.id }
    }
  }
}
