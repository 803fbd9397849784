// One error type for every problem found in flags and the config file, so the
// binary can print them all and exit before anything touches the kernel.

/** One rejected value: `field` is a flag (`--iptables-sync-period`) or a config path (`nftables.syncPeriod`). */
export interface ConfigProblem {
  readonly field: string;
  readonly message: string;
}

/** Bad flags or a bad KubeProxyConfiguration; `problems` lists every field at fault. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], source?: string) {
    const lines = problems.map((p) => `${p.field}: ${p.message}`);
    super(source === undefined ? lines.join('\n') : `${source}: ${lines.join(`\n${source}: `)}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Collects problems while a config is decoded or validated. */
export class Problems {
  readonly list: ConfigProblem[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  /** Throws a ConfigError if anything was added. */
  throwIfAny(source?: string): void {
    if (this.list.length > 0) throw new ConfigError(this.list, source);
  }
}
