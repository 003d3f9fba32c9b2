// Dead-code elimination: keeps only what the caller can observe (outputs, loss, parameter
// gradients, optimizer updates) and what those read. Leaves that are part of the module's API
// (inputs, targets, parameters, optimizer state) stay even when nothing reads them, so the
// generated `params` record and feeds keep their keys.
import { ancestors } from '../../ir/graph.js';
import type { Graph, OpName } from '../../ir/types.js';
import type { Pass } from '../context.js';
import { pinnedIds, withNodes } from './graph-edit.js';

const API_LEAVES: ReadonlySet<OpName> = new Set(['input', 'target', 'param', 'state']);

/** The graph without the nodes nothing observable depends on. */
export function eliminateDeadCode(graph: Graph): Graph {
  const live = ancestors(graph, [...pinnedIds(graph)]);
  const nodes = graph.nodes.filter((n) => live.has(n.id) || API_LEAVES.has(n.op));
  return nodes.length === graph.nodes.length ? graph : withNodes(graph, nodes);
}

export const dce: Pass = { name: 'dce', run: (graph) => eliminateDeadCode(graph) };
