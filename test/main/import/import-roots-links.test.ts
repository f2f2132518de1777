// A server started with --import-root lets its clients read only those
// folders. The API resolves the path a client names, but a link *below* that
// path could still point anywhere on the server: the walk reports such a link
// and does not follow it, while links that stay inside a root are followed as
// before (and, without roots, every link is followed as on a desktop).
import { afterAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { walkImportPath, type FoundFile, type WalkIssue } from '../../../src/main/import/walk'
import { realCells } from '../../helpers/datasets'

const base = mkdtempSync(join(tmpdir(), 'wbc-roots-links-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

const [cellA, cellB, cellC] = realCells('pbc-wbc', 'neutrophil', 3)
const root = join(base, 'root')
const outside = join(base, 'elsewhere')
mkdirSync(join(root, 'slide-1'), { recursive: true })
mkdirSync(join(root, 'shared-cells'), { recursive: true })
mkdirSync(outside, { recursive: true })
copyFileSync(cellA!, join(root, 'slide-1', 'a.jpg'))
copyFileSync(cellB!, join(root, 'shared-cells', 'b.jpg'))
copyFileSync(cellC!, join(outside, 'secret.jpg'))
symlinkSync(outside, join(root, 'slide-1', 'out-folder'))
symlinkSync(join(outside, 'secret.jpg'), join(root, 'slide-1', 'out-file.jpg'))
symlinkSync(join(root, 'shared-cells', 'b.jpg'), join(root, 'slide-1', 'in-file.jpg'))

const files = (entries: ReturnType<typeof walkImportPath>) => entries.filter((e): e is FoundFile => e.kind === 'file').map((e) => e.rel).sort()
const issues = (entries: ReturnType<typeof walkImportPath>) => entries.filter((e): e is WalkIssue => e.kind === 'issue').map((e) => `${e.rel} ${e.reason}`).sort()

describe('links below an import root', () => {
  it('are reported and not followed when they point out of the roots; links inside are followed', () => {
    const walked = walkImportPath(join(root, 'slide-1'), { confineTo: [realpathSync(root)] })
    expect(files(walked)).toEqual(['a.jpg', 'in-file.jpg'])
    expect(issues(walked)).toEqual(['out-file.jpg outside-import-root', 'out-folder outside-import-root'])
  })

  it('are all followed without roots (the desktop reads what its user can)', () => {
    const walked = walkImportPath(join(root, 'slide-1'))
    expect(files(walked)).toEqual(['a.jpg', 'in-file.jpg', 'out-file.jpg', 'out-folder/secret.jpg'])
    expect(issues(walked)).toEqual([])
  })
})
