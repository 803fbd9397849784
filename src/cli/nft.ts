// `dataplane nft`: not implemented yet.
export async function run(_args: string[]): Promise<number> {
  process.stderr.write('dataplane nft: not available in this version\n');
  return 2;
}
