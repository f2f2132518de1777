// The workstation's store: one SQLite file holding slides, cell images with
// their original bytes, label history, datasets and import records.
export * from './db'
export * from './slides'
export * from './images'
export * from './labels'
export * from './datasets'
export * from './imports'
export * from './review'
export * from './synthetic'
export * from './blind'
export * from './models'
export * from './runs'
export { MIGRATIONS, type Migration } from './migrations/index'
