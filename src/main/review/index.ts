// Slide review, headless: the gallery grouped by class and ordered by
// confidence, reclassification with undo and an audit history, the live
// differential with exact intervals, sign-off and reopening, comments, and
// the slide's report exports. The API handlers, the CLI and tests all call
// these same functions.
export { ReviewError, type ReviewErrorCode } from './errors'
export { canonicalReviewLabel, groupOfLabel, isCounted, UNIDENTIFIED_LABEL } from './labels'
export { DEFAULT_REVIEW_SETTINGS, reviewSettings, setReviewSettings } from './settings'
export { assertEditable, isSigned } from './state'
export { classifySlideCells, slideGallery } from './gallery'
export { differentialFromCounts, groupCounts, slideDifferential, slideResults } from './differential'
export { acceptModelCalls, reclassifyCells, undoLastReclassification, type AcceptRequest, type ReclassifyRequest, type UndoResult } from './reclassify'
export { cellHistory, slideHistory } from './history'
export { currentSignatures, isReportFinal, reopenSlide, signedContentHash, signSlide, toSignOffEvent, type SignRequest } from './signoff'
export { addComment, slideComments } from './comments'
export { buildDifferentialReport, DEFAULT_LAB_NAME, exportSlide, type ReportOptions } from './export'
export { reviewedTrainingLabels, type TrainingLabel } from './training'
