// The algebraic rule table of the `simplify` pass, in the order the driver tries them.
import { addZero, identityRule, singleAdd } from './identity.js';
import { logSoftmaxNll, sigmoidBce, softmaxCrossEntropy } from './loss-grads.js';
import type { Rule } from './rewrite.js';

export const simplifyRules: readonly Rule[] = [
  softmaxCrossEntropy,
  logSoftmaxNll,
  sigmoidBce,
  identityRule,
  singleAdd,
  addZero,
];

/** The table as text, one rule per line: name, root ops, before → after. */
export function formatRules(rules: readonly Rule[] = simplifyRules): string {
  const width = rules.reduce((w, r) => Math.max(w, r.name.length), 0);
  return rules.map((r) => `${r.name.padEnd(width)}  on ${r.match.join('|')}: ${r.description}\n`).join('');
}
