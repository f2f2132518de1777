// Import of cell images into the store (see import.ts).
export { importPath, type ImportOptions, type ImportReport, type ImportFileOutcome } from './import'
export { walkImportPath, IMAGE_EXTENSIONS, type WalkEntry, type FoundFile, type WalkIssue } from './walk'
export { parseClassName, normaliseName, knownClasses, type ClassName } from './classes'
export { readManifest, parseCsv, csvField, type Manifest, type ManifestRow } from './manifest'
