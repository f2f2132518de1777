// The full public datasets the project trains, benchmarks and publishes
// figures on (pbc-wbc/, pbc-other/, chula-wbc/ under $WBC_DATASETS): their
// committed manifests (datasets/*.csv: every file with its SHA-256), a check
// of a local copy against them, and the preparation of the PBC folders from
// the archive as published (doi:10.17632/snkd93bnjr.1). datasets/README.md is
// the dataset card; the tests never need any of this (test/fixtures/cells).
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CoreError } from '../errors'

/** The dataset folders the project uses, in the order the card lists them. */
export const DATASET_FOLDERS = ['pbc-wbc', 'pbc-other', 'chula-wbc'] as const
export type DatasetFolder = (typeof DATASET_FOLDERS)[number]

export interface ManifestRow {
  /** class/file, relative to the dataset folder. */
  file: string
  sha256: string
}

/** Reads a `file,sha256` manifest (header first). */
export function readDatasetManifest(path: string): ManifestRow[] {
  const [, ...rows] = readFileSync(path, 'utf8').trim().split(/\r?\n/)
  return rows.map((r) => {
    const [file, sha256] = r.split(',')
    if (!file || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new CoreError('invalid_input', `${path}: bad manifest row "${r}"`)
    return { file, sha256 }
  })
}

/** The manifest of a local folder (class folders of images), sorted by path. */
export function manifestOf(folder: string): ManifestRow[] {
  const rows: ManifestRow[] = []
  for (const cls of readdirSync(folder).sort()) {
    const dir = join(folder, cls)
    if (!statSync(dir).isDirectory()) continue
    for (const f of readdirSync(dir).sort()) rows.push({ file: `${cls}/${f}`, sha256: sha256Of(join(dir, f)) })
  }
  return rows
}

export function formatManifest(rows: readonly ManifestRow[]): string {
  return ['file,sha256', ...rows.map((r) => `${r.file},${r.sha256}`)].join('\n') + '\n'
}

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

export interface DatasetCheck {
  folder: string
  expected: number
  ok: number
  missing: string[]
  changed: string[]
  /** Files in the folder the manifest does not list. */
  extra: string[]
}

/** Checks a local dataset folder against its manifest, file by file. */
export function checkDataset(folder: string, manifest: readonly ManifestRow[]): DatasetCheck {
  const listed = new Set(manifest.map((r) => r.file))
  const r: DatasetCheck = { folder, expected: manifest.length, ok: 0, missing: [], changed: [], extra: [] }
  for (const row of manifest) {
    const p = join(folder, row.file)
    if (!existsSync(p)) r.missing.push(row.file)
    else if (sha256Of(p) !== row.sha256) r.changed.push(row.file)
    else r.ok++
  }
  if (existsSync(folder))
    for (const cls of readdirSync(folder)) {
      if (!statSync(join(folder, cls)).isDirectory()) continue
      for (const f of readdirSync(join(folder, cls))) if (!listed.has(`${cls}/${f}`)) r.extra.push(`${cls}/${f}`)
    }
  return r
}

/** Every file under `root` by its class/file tail (the last two path parts), for finding a manifest's files in an unpacked archive. */
function indexByClassAndName(root: string, depth = 3): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string, left: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) {
        if (left > 0) walk(p, left - 1)
      } else if (e.isFile()) out.set(`${dirname(p).split(/[\\/]/).pop()}/${e.name}`, p)
    }
  }
  walk(root, depth)
  return out
}

export interface PrepareResult {
  folder: string
  copied: number
  /** Manifest files not found in the source, or found with other bytes (not copied). */
  missing: string[]
  changed: string[]
}

/**
 * Copies the files a manifest lists from an unpacked archive (class folders
 * anywhere up to three levels down, e.g. PBC_dataset_normal_DIB/basophil/)
 * into `out`, byte for byte, each checked against its SHA-256. The manifest
 * decides which files: the development subset the project's figures were
 * measured on, already cleaned (no duplicates, no non-images).
 */
export function prepareFromArchive(source: string, out: string, manifest: readonly ManifestRow[]): PrepareResult {
  if (!existsSync(source)) throw new CoreError('not_found', `${source} not found`)
  const found = indexByClassAndName(source)
  const r: PrepareResult = { folder: out, copied: 0, missing: [], changed: [] }
  for (const row of manifest) {
    const from = found.get(row.file)
    if (!from) {
      r.missing.push(row.file)
      continue
    }
    if (sha256Of(from) !== row.sha256) {
      r.changed.push(row.file)
      continue
    }
    const to = join(out, row.file)
    mkdirSync(dirname(to), { recursive: true })
    copyFileSync(from, to)
    r.copied++
  }
  return r
}
