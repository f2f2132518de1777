// Pure statistics for the workstation: seeded randomness, stratified folds,
// classification metrics and curves, exact binomial intervals for differential
// counts, and feature-set distances for synthetic-cell quality. No I/O.
export * from './random'
export * from './folds'
export * from './metrics'
export * from './binomial'
export * from './linalg'
export * from './agreement'
export * from './kappa'
