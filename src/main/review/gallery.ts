// The slide gallery: every cell of a slide in the group of its current class.
// The class of a cell is a person's label (reviewer or expert) when it has
// one, else the model's top class when the model is at least as confident as
// the Unidentified threshold (and its own out-of-distribution check, when the
// model has one, did not flag the cell), else Unidentified. Cells the model has not seen
// yet are Unidentified too ('no-prediction'): they still need someone's eye,
// and sign-off waits for them like for any other Unidentified cell. The
// groups shown even when empty are the classes of the slide's model (the five,
// or the eight-class model's eight) and Unidentified.
import { UNIDENTIFIED, type GalleryCell, type GalleryGroup, type ReviewSettings, type SlideGallery } from '../../shared/review'
import type { Db } from '../store/db'
import { latestPredictionsOfSlide, reviewCellsOfSlide } from '../store/review'
import { compareGroups, groupOfLabel, isCounted } from './labels'
import { reviewSettings } from './settings'
import { isSigned, requireSlide } from './state'
import { classesOfModel, slideModel } from './slide-model'

/** Every cell of the slide with its group, in cell-id order. */
export function classifySlideCells(db: Db, slideId: number, settings: ReviewSettings = reviewSettings(db, slideId)): GalleryCell[] {
  const predictions = latestPredictionsOfSlide(db, slideId)
  return reviewCellsOfSlide(db, slideId).map((c): GalleryCell => {
    const p = predictions.get(c.imageId)
    const prediction = p ? { label: p.topClass, confidence: p.confidence, modelId: p.modelId, probabilities: p.probabilities } : null
    let group: string
    let basis: GalleryCell['basis']
    if (c.humanClass !== null) {
      group = groupOfLabel(c.humanClass)
      basis = c.humanSource ?? 'reviewer'
    } else if (!p) {
      group = UNIDENTIFIED
      basis = 'no-prediction'
    } else if (p.unidentified === true) {
      group = UNIDENTIFIED
      basis = 'model-unidentified'
    } else if (p.confidence >= settings.unidentifiedThreshold) {
      group = groupOfLabel(p.topClass)
      basis = 'model'
    } else {
      group = UNIDENTIFIED
      basis = 'below-threshold'
    }
    return {
      id: c.imageId,
      fileName: c.fileName,
      width: c.width,
      height: c.height,
      group,
      basis,
      prediction,
      confidence: p ? p.confidence : null,
      importedLabel: c.importedClass
    }
  })
}

/**
 * Least confident first: the cells most likely to be wrong come first in
 * each group, where a specialist's attention pays off most (cells the model
 * has not seen lead the Unidentified group). Ties keep cell-id order.
 */
export function compareByConfidence(a: GalleryCell, b: GalleryCell): number {
  const ca = a.confidence ?? -1
  const cb = b.confidence ?? -1
  return ca - cb || a.id - b.id
}

export function slideGallery(db: Db, slideId: number, opts: { order?: 'ascending' | 'descending' } = {}): SlideGallery {
  // One read snapshot: the revision handed out is exactly the one of the cells shown (a job's connection may commit meanwhile).
  return db.transaction(() => galleryOf(db, slideId, opts))()
}

function galleryOf(db: Db, slideId: number, opts: { order?: 'ascending' | 'descending' }): SlideGallery {
  const slide = requireSlide(db, slideId)
  const settings = reviewSettings(db, slideId)
  const cells = classifySlideCells(db, slideId, settings)
  const byGroup = new Map<string, GalleryCell[]>()
  for (const g of [...classesOfModel(slideModel(db, slideId)), UNIDENTIFIED]) byGroup.set(g, [])
  for (const c of cells) {
    let list = byGroup.get(c.group)
    if (!list) byGroup.set(c.group, (list = []))
    list.push(c)
  }
  const sign = opts.order === 'descending' ? -1 : 1
  const groups: GalleryGroup[] = [...byGroup.keys()].sort(compareGroups).map((label) => ({
    label,
    counted: isCounted(label),
    cells: byGroup.get(label)!.sort((a, b) => sign * compareByConfidence(a, b) || a.id - b.id)
  }))
  return {
    slide: { id: slide.id, sampleId: slide.sampleId, status: slide.status },
    revision: slide.revision,
    signed: isSigned(db, slideId),
    settings,
    groups,
    cellCount: cells.length
  }
}
