// mocha's spec reporter, plus one machine-readable line at the end that
// scripts/test.mjs adds up across suites (it also crosses the VM's serial
// console intact).
import Mocha from 'mocha';

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

export default class DataplaneReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = this.stats;
      const line = { suite: process.env.DATAPLANE_SUITE ?? 'mocha', passes: s.passes, failures: s.failures, pending: s.pending };
      process.stdout.write(`##dataplane-stats ${JSON.stringify(line)}\n`);
    });
  }
}
