// Where code may run, enforced by scanning imports: the core under src/main
// (all but the Electron entry and src/main/electron) never imports electron,
// so the CLI, tests and server run it under plain Node; the renderer and
// src/shared import no Node module and no electron, so they run in a sandboxed
// page; the preload reaches Node only through electron's sandboxed modules.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { REPO_ROOT } from '../../helpers/datasets'

const SRC = join(REPO_ROOT, 'src')
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return files(p)
    return /\.(ts|vue|mts|js)$/.test(name) ? [p] : []
  })
}

/** Every module specifier a file imports (static, dynamic, re-export, require). */
export function importsOf(text: string): string[] {
  const specs: string[] = []
  const patterns = [
    /\bimport\s+(?:type\s+)?(?:[\w*${}\s,]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?[\w*${}\s,]+\s+from\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g
  ]
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]!)
  return specs
}

const rel = (p: string): string => relative(REPO_ROOT, p).split('\\').join('/')

describe('import boundaries', () => {
  it('the scanner sees every kind of import', () => {
    expect(
      importsOf(`import a from 'electron'\nimport type { B } from "node:fs"\nexport { c } from './c'\nconst d = await import('os')\nrequire('path')\nimport 'side-effect'`)
    ).toEqual(expect.arrayContaining(['electron', 'node:fs', './c', 'os', 'path', 'side-effect']))
  })

  it('the core never imports electron', () => {
    const offenders = files(join(SRC, 'main'))
      .filter((f) => !rel(f).startsWith('src/main/electron/') && rel(f) !== 'src/main/index.ts')
      .filter((f) => importsOf(readFileSync(f, 'utf8')).some((s) => s === 'electron' || s.startsWith('electron/')))
      .map(rel)
    expect(offenders).toEqual([])
  })

  it('the renderer and src/shared import no Node module and no electron', () => {
    const offenders: string[] = []
    for (const f of [...files(join(SRC, 'renderer')), ...files(join(SRC, 'shared'))]) {
      for (const s of importsOf(readFileSync(f, 'utf8'))) {
        if (NODE_BUILTINS.has(s) || s === 'electron' || s.startsWith('electron/')) offenders.push(`${rel(f)}: ${s}`)
        if (s.includes('/main/') || s.includes('/server/') || s.includes('/cli/')) offenders.push(`${rel(f)}: ${s}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('the preload imports only electron and the shared contract', () => {
    const offenders = files(join(SRC, 'preload'))
      .flatMap((f) => importsOf(readFileSync(f, 'utf8')).map((s) => `${rel(f)}: ${s}`))
      .filter((line) => !/: (electron|\.\.\/shared\/[\w-]+)$/.test(line))
    expect(offenders).toEqual([])
  })
})
