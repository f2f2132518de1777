// `wbc` command line: a thin shell over the core in src/main.
export async function main(argv: string[]): Promise<number> {
  console.log('wbc', argv.join(' '))
  return 0
}
