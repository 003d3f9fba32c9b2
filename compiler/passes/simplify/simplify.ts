// The `simplify` pass: the algebraic rule table (rules.ts) to a fixed point, then dead-code
// elimination of what the rewrites left unread (e.g. the loss gradient a fused head replaced).
import type { Graph } from '../../ir/types.js';
import type { Pass } from '../context.js';
import { eliminateDeadCode } from './dce.js';
import { type Fired, rewriteGraph, type Rule } from './rewrite.js';
import { simplifyRules } from './rules.js';

/** The simplified graph and the rule applications, in order (for traces and tests). */
export function simplifyGraph(graph: Graph, rules: readonly Rule[] = simplifyRules): { graph: Graph; fired: Fired[] } {
  const { graph: rewritten, fired } = rewriteGraph(graph, rules);
  return { graph: eliminateDeadCode(rewritten), fired };
}

export const simplify: Pass = { name: 'simplify', run: (graph) => simplifyGraph(graph).graph };
