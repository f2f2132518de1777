// Every `wbc` command and option the README and the docs name exists: the
// docs are parsed for `wbc ...` invocations (code spans and code blocks) and
// each is checked against what `wbc <command> --help` answers, in-process
// (the same main() as bin/wbc.js), so a renamed or removed option fails here
// rather than in a reader's terminal.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/datasets'
import { wbc } from '../helpers/wbc'

const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  'BENCHMARKS.md',
  'datasets/README.md',
  'resources/models/README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
]

/** A markdown table cell's `\|` stands for "or" between alternatives. */
const OR = '\u00a6'

/** The `wbc ...` invocations of a markdown text, each cut at the end of its shell command. */
export function invocations(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'))
  const spans = [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!)
  const out: string[] = []
  for (const text of [...blocks, ...spans]) {
    // `\|` in a table cell means "or"; a `<placeholder with spaces>` is one word.
    const s = text.replace(/\\\|/g, OR).replace(/<[^<>]*>/g, (p) => p.replace(/\s+/g, '_'))
    for (const m of s.matchAll(/(?:^|[\s(=;&])(?:npx\s+|node\s+bin\/)?wbc(?:\.js)?((?:\s+[^\s;&|>]+)+)/g)) {
      const args = m[1]!.trim()
      if (/^[a-z-]/.test(args)) out.push(args)
    }
  }
  return out
}

interface Help {
  options: Map<string, boolean>
  commands: Set<string>
}

const helps = new Map<string, Help>()

/** What `wbc PATH --help` lists: options (and whether each takes a value) and subcommands. */
async function help(path: string[]): Promise<Help> {
  const key = path.join(' ')
  const known = helps.get(key)
  if (known) return known
  const r = await wbc([...path, '--help'])
  expect(r.code, `wbc ${key} --help: ${r.err}`).toBe(0)
  const options = new Map<string, boolean>()
  const commands = new Set<string>()
  let section = ''
  for (const line of r.out.split('\n')) {
    if (/^\S.*:$/.test(line)) section = line
    const entry = line.match(/^ {2}(\S.*?)(?: {2,}|$)/)
    if (!entry) continue
    if (section === 'Options:')
      for (const flag of entry[1]!.split(/,\s*/)) {
        const [name, value] = flag.split(' ')
        options.set(name!, Boolean(value))
      }
    if (section === 'Commands:') commands.add(entry[1]!.split(' ')[0]!.split('|')[0]!)
  }
  const h = { options, commands }
  helps.set(key, h)
  return h
}

/** Problems with one invocation: unknown commands or options. */
async function check(invocation: string): Promise<string[]> {
  const problems: string[] = []
  const root = await help([])
  let paths: string[][] = [[]]
  let takesSub = true
  let skipValue = false
  for (const raw of invocation.split(/\s+/)) {
    const tok = raw.replace(/^[[(]+|[\])]+$/g, '')
    if (!tok || tok === '...') continue
    if (skipValue) {
      skipValue = false
      continue
    }
    if (tok.startsWith('-')) {
      const flag = tok.split('=')[0]!
      let found = false
      for (const p of paths) {
        const h = await help(p)
        const opt = h.options.get(flag) ?? root.options.get(flag)
        if (opt !== undefined) {
          found = true
          skipValue ||= opt && !tok.includes('=')
        }
      }
      if (!found) problems.push(`wbc ${paths.map((p) => p.join(' ')).join(OR)} has no option ${flag}`)
      continue
    }
    if (takesSub) {
      const subs = await Promise.all(paths.map(async (p) => ({ p, h: await help(p) })))
      if (subs.every((s) => s.h.commands.size > 0)) {
        const alts = tok.split(OR)
        if (alts.some((a) => !/^[a-z][a-z-]*$/.test(a))) {
          takesSub = false // a placeholder (COMMAND, <cmd>): nothing more to check here
          continue
        }
        const next: string[][] = []
        for (const { p, h } of subs)
          for (const a of alts) {
            if (h.commands.has(a)) next.push([...p, a])
            else problems.push(`wbc ${[...p, a].join(' ')} is not a command`)
          }
        if (next.length === 0) break
        paths = next
        continue
      }
    }
    takesSub = false // an argument: no subcommand after it
  }
  return problems
}

describe('wbc commands named in the docs', () => {
  it('all exist, with every option they are shown with', async () => {
    const problems: string[] = []
    let checked = 0
    for (const doc of DOCS) {
      for (const inv of invocations(readFileSync(join(REPO_ROOT, doc), 'utf8'))) {
        checked++
        for (const p of await check(inv)) problems.push(`${doc}: \`wbc ${inv.replace(new RegExp(OR, 'g'), '|')}\`: ${p}`)
      }
    }
    expect(problems).toEqual([])
    // The parser found the docs' invocations (README alone names over 15 commands).
    expect(checked).toBeGreaterThan(40)
  })

  it('the checker itself catches an unknown command and an unknown option', async () => {
    expect(invocations('run `npx wbc slide show S-1 --json` or\n```sh\nnode bin/wbc.js --db x.sqlite import DIR && wbc ls\n```\n')).toEqual([
      '--db x.sqlite import DIR',
      'ls',
      'slide show S-1 --json'
    ])
    expect(await check('slide show S-1 --json')).toEqual([])
    expect(await check(`model list${OR}export${OR}import`)).toEqual([])
    expect(await check('slide shew S-1')).toEqual(['wbc slide shew is not a command'])
    expect(await check('--db x.sqlite import DIR --colour')).toEqual(['wbc import has no option --colour'])
  })
})
