// Exporting a dataset as its original image files, one folder per current
// label, with a CSV manifest (file, class, slide, sha256). The layout is one
// `importPath` reads back to the same images, labels and slides.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ProgressListener } from '../../shared/progress'
import { csvField } from '../import/manifest'
import type { Db } from '../store/db'
import { datasetImages, getDatasetByName } from '../store/datasets'
import { getOriginalBytes } from '../store/images'

export const UNLABELLED_FOLDER = 'unlabelled'
export const MANIFEST_NAME = 'manifest.csv'

export interface DatasetExportReport {
  dataset: string
  outDir: string
  images: number
  classes: Record<string, number>
  manifest: string
}

const EXT: Record<string, string> = { jpeg: '.jpg', png: '.png', bmp: '.bmp', tiff: '.tif' }

export function exportDataset(
  db: Db,
  name: string,
  outDir: string,
  opts: { onProgress?: ProgressListener; signal?: AbortSignal } = {}
): DatasetExportReport {
  const dataset = getDatasetByName(db, name)
  if (!dataset) throw new Error(`no dataset named "${name}"`)
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new Error(`${outDir} is not empty; export into a new or empty folder`)
  mkdirSync(outDir, { recursive: true })
  const images = datasetImages(db, dataset.id)
  const lines = ['file,class,slide,sha256']
  const classes: Record<string, number> = {}
  const made = new Set<string>()
  images.forEach((img, i) => {
    if (opts.signal?.aborted) throw new Error('export cancelled')
    const folder = img.class ? safeName(img.class) : UNLABELLED_FOLDER
    if (!made.has(folder)) {
      mkdirSync(join(outDir, folder), { recursive: true })
      made.add(folder)
    }
    // The hash prefix keeps names unique when two slides used the same file name.
    const base = safeName(img.fileName.replace(/\.[^.]*$/, '')) || 'cell'
    const file = `${folder}/${img.sha256.slice(0, 12)}_${base}${EXT[img.format] ?? ''}`
    const bytes = getOriginalBytes(db, img.imageId)
    if (!bytes) throw new Error(`image ${img.imageId} has no original bytes`)
    writeFileSync(join(outDir, file), bytes)
    lines.push([file, img.class ?? '', img.slideSampleId ?? '', img.sha256].map(csvField).join(','))
    classes[img.class ?? ''] = (classes[img.class ?? ''] ?? 0) + 1
    opts.onProgress?.({ task: 'export', done: i + 1, total: images.length, unit: 'images', message: file })
  })
  const manifest = join(outDir, MANIFEST_NAME)
  writeFileSync(manifest, lines.join('\n') + '\n')
  return { dataset: name, outDir, images: images.length, classes, manifest }
}

/** A file or folder name without path separators or characters file systems refuse. */
function safeName(s: string): string {
  return s.replace(/[\/\\:*?"<>|\x00-\x1f]/g, '_').replace(/^\.+/, '_').trim()
}
