// The dataset manifests (datasets/*.csv), the check of a local copy and the
// preparation of pbc-wbc/ and pbc-other/ from the PBC archive as published,
// tried on a stand-in archive made of the fixture cells (the real archive
// cannot be downloaded in a test).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkDataset, prepareFromArchive, readDatasetManifest } from '../../../src/main/datasets'
import { FIXTURE_CELLS, REPO_ROOT } from '../../helpers/datasets'
import { wbc } from '../../helpers/wbc'
import { tempDir } from '../import/fixtures'

const dir = tempDir('wbc-datasets-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const manifest = (d: string) => readDatasetManifest(join(REPO_ROOT, 'datasets', `${d}.csv`))

describe('full datasets', () => {
  it('list every fixture cell with the same bytes (the fixtures are a subset of them)', () => {
    const fixtures = readFileSync(join(FIXTURE_CELLS, 'MANIFEST.csv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split(','))
    const all = new Map<string, string>(['pbc-wbc', 'pbc-other', 'chula-wbc'].flatMap((d) => manifest(d).map((r) => [`${d}/${r.file}`, r.sha256] as const)))
    expect(all.size).toBe(5740 + 750 + 343)
    for (const [file, sha] of fixtures) expect(all.get(file!), file).toBe(sha)
  })

  it('prepares pbc-wbc/ and pbc-other/ from an unpacked archive, checking every file, and checks a copy', async () => {
    // A stand-in for the unzipped archive: its class folders one level down, a corrupted file and a stray one.
    const archive = join(dir, 'download', 'PBC_dataset_normal_DIB')
    const take = { 'pbc-wbc': ['basophil', 'monocyte'], 'pbc-other': ['platelet'] } as const
    const wanted: Record<string, ReturnType<typeof manifest>> = {}
    for (const [d, classes] of Object.entries(take)) {
      wanted[d] = []
      for (const cls of classes) {
        mkdirSync(join(archive, cls), { recursive: true })
        const rows = manifest(d).filter((r) => r.file.startsWith(`${cls}/`))
        for (const r of rows.filter((x) => existsSync(join(FIXTURE_CELLS, d, x.file))).slice(0, 3)) {
          copyFileSync(join(FIXTURE_CELLS, d, r.file), join(archive, r.file))
          wanted[d]!.push(r)
        }
        wanted[d]!.push(...rows.filter((r) => !wanted[d]!.includes(r)).slice(0, 1)) // listed, not in the archive
      }
    }
    const corrupt = wanted['pbc-wbc']![1]!.file
    writeFileSync(join(archive, corrupt), Buffer.concat([readFileSync(join(archive, corrupt)), Buffer.from([0])]))
    writeFileSync(join(archive, 'basophil', 'stray.jpg'), 'not in the manifest')

    const out = join(dir, 'datasets')
    const wbcResult = prepareFromArchive(join(dir, 'download'), join(out, 'pbc-wbc'), wanted['pbc-wbc']!)
    expect(wbcResult.copied).toBe(5)
    expect(wbcResult.changed).toEqual([corrupt])
    expect(wbcResult.missing).toHaveLength(2)
    const other = prepareFromArchive(join(dir, 'download'), join(out, 'pbc-other'), wanted['pbc-other']!)
    expect(other).toMatchObject({ copied: 3, changed: [] })
    expect(other.missing).toHaveLength(1)
    // The copies are the published bytes.
    const first = wanted['pbc-other']![0]!
    expect(readFileSync(join(out, 'pbc-other', first.file))).toEqual(readFileSync(join(FIXTURE_CELLS, 'pbc-other', first.file)))

    const check = checkDataset(join(out, 'pbc-wbc'), wanted['pbc-wbc']!)
    expect(check).toMatchObject({ expected: 8, ok: 5, changed: [], extra: [] })
    expect(check.missing.sort()).toEqual([corrupt, ...wbcResult.missing].sort())
    writeFileSync(join(out, 'pbc-wbc', 'basophil', 'extra.jpg'), 'x')
    expect(checkDataset(join(out, 'pbc-wbc'), wanted['pbc-wbc']!).extra).toEqual(['basophil/extra.jpg'])

    // On the command line, against the full manifests: incomplete, exit 1, and it says where to get the rest.
    const r = await wbc(['datasets', 'check', out])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/pbc-wbc\s+incomplete: 5 of 5740 files match/)
    expect(r.out).toMatch(/chula-wbc\s+missing: 0 of 343/)
    expect(r.out).toMatch(/doi:10\.17632\/snkd93bnjr\.1/)
    const none = await wbc(['datasets', 'check', '--json'], { WBC_DATASETS: join(dir, 'nowhere') })
    expect(JSON.parse(none.out).results.map((x: { ok: number }) => x.ok)).toEqual([0, 0, 0])
  })
})
