import type { RulesetData } from './ruleset.js';
export function printRuleset(r: RulesetData): string {
  return JSON.stringify(r);
}
