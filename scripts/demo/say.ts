// The demo's output: numbered steps with short explanations, the commands
// being run (as the reader would type them) and what they printed.

/** Writes the demo's story to stdout; a closed stdout (`| head`) silences it. */
export class Say {
  #step = 0;
  #closed = false;

  constructor() {
    process.stdout.on('error', () => { this.#closed = true; });
  }

  #write(text: string): void {
    if (!this.#closed) process.stdout.write(`${text}\n`);
  }

  /** The opening lines. */
  title(...lines: string[]): void {
    for (const l of lines) this.#write(l);
  }

  /** A new numbered step: "\n3. The proxy". */
  step(title: string): void {
    this.#write(`\n${++this.#step}. ${title}`);
  }

  /** Explanation lines, indented under the step. */
  text(...lines: string[]): void {
    for (const l of lines) this.#write(l === '' ? '' : `   ${l}`);
  }

  /** A command as the reader would type it. */
  command(cmd: string): void {
    this.#write(`   $ ${cmd}`);
  }

  /** What a command printed, indented under it. */
  output(text: string): void {
    for (const l of text.trimEnd().split('\n')) this.#write(l === '' ? '' : `     ${l}`);
  }

  /** Seconds since this process started, "4.2 s". */
  elapsed(): string {
    return `${(performance.now() / 1000).toFixed(1)} s`;
  }
}

/** Milliseconds as "35 ms" or "1.2 s". */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
