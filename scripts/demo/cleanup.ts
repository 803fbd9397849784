// Everything the demo creates registers how to undo it here; the undo
// steps run in reverse order at the end, on an error, and on SIGINT/SIGTERM,
// so the demo leaves no namespace, process, link or file behind.

/** An undo step's name and action. */
interface Step {
  readonly what: string;
  readonly undo: () => void | Promise<void>;
}

/** A stack of undo steps. */
export class Cleanup {
  #steps: Step[] = [];
  #running: Promise<string[]> | undefined;

  /** True once run() has started: what is added from then on is undone at once. */
  get started(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Registers an undo step; returns a function that runs it now (once) and
   * drops it from the stack. Added after run() started, it runs at once.
   */
  add(what: string, undo: () => void | Promise<void>): () => Promise<void> {
    const step: Step = { what, undo };
    if (this.#running !== undefined) {
      void this.#running.then(() => runStep(step));
      return async () => {};
    }
    this.#steps.push(step);
    return async () => {
      const i = this.#steps.indexOf(step);
      if (i < 0) return;
      this.#steps.splice(i, 1);
      const failed = await runStep(step);
      if (failed !== undefined) throw new Error(failed);
    };
  }

  /** Runs every step, newest first, each even if an earlier one failed; resolves to the failures. */
  run(): Promise<string[]> {
    this.#running ??= (async () => {
      const failures: string[] = [];
      for (const step of this.#steps.reverse()) {
        const failed = await runStep(step);
        if (failed !== undefined) failures.push(failed);
      }
      this.#steps = [];
      return failures;
    })();
    return this.#running;
  }
}

async function runStep(step: Step): Promise<string | undefined> {
  try {
    await step.undo();
    return undefined;
  } catch (e) {
    return `removing ${step.what}: ${e instanceof Error ? e.message : String(e)}`;
  }
}
