// The diagrams: Graphviz SVG from the server placed in a pannable, zoomable box. Nodes are found
// by their <title> (the node's name), edges by the DOT id the server gave them, so a click can
// light up a chain-rule path in every view and a hover can show an edge's shape and factor.
import type { StudioDiagram, StudioEdge } from '../src/studio/protocol.js';

export interface DiagramHandlers {
  /** A node was clicked (its name). */
  readonly onNode: (name: string) => void;
  /** An edge is hovered (undefined when the pointer leaves it). */
  readonly onEdge: (edge: StudioEdge | undefined, at: { x: number; y: number }) => void;
}

export interface DiagramBox {
  show(diagram: StudioDiagram | undefined, message?: string): void;
  /** Lights up these node names and the edges between them; an empty set clears. */
  highlight(nodes: ReadonlySet<string>): void;
  /** Marks gradient magnitudes: node name → a label and a weight in [0, 1]. */
  annotate(marks: ReadonlyMap<string, { readonly label: string; readonly weight: number }>): void;
  svgText(): string | undefined;
  resetView(): void;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function createDiagramBox(host: HTMLElement, handlers: DiagramHandlers): DiagramBox {
  const stage = document.createElement('div');
  stage.className = 'stage';
  host.append(stage);
  let current: StudioDiagram | undefined;
  let edgesById = new Map<string, StudioEdge>();
  let zoom = { x: 0, y: 0, scale: 1 };

  const apply = (): void => {
    stage.style.transform = `translate(${zoom.x}px, ${zoom.y}px) scale(${zoom.scale})`;
  };
  const resetView = (): void => {
    zoom = { x: 0, y: 0, scale: 1 };
    apply();
  };

  host.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      const box = host.getBoundingClientRect();
      const px = event.clientX - box.left;
      const py = event.clientY - box.top;
      const factor = Math.exp(-event.deltaY * 0.0015);
      const scale = Math.min(8, Math.max(0.25, zoom.scale * factor));
      const k = scale / zoom.scale;
      zoom = { x: px - (px - zoom.x) * k, y: py - (py - zoom.y) * k, scale };
      apply();
    },
    { passive: false },
  );
  let drag: { x: number; y: number; moved: boolean } | undefined;
  host.addEventListener('pointerdown', (event) => {
    drag = { x: event.clientX, y: event.clientY, moved: false };
  });
  host.addEventListener('pointermove', (event) => {
    if (drag === undefined || event.buttons === 0) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    host.setPointerCapture(event.pointerId);
    zoom = { ...zoom, x: zoom.x + dx, y: zoom.y + dy };
    drag.x = event.clientX;
    drag.y = event.clientY;
    apply();
  });
  host.addEventListener('pointerup', (event) => {
    const wasDrag = drag?.moved === true;
    drag = undefined;
    if (host.hasPointerCapture(event.pointerId)) host.releasePointerCapture(event.pointerId);
    if (wasDrag) return;
    const node = (event.target as Element | null)?.closest('g.node');
    const name = node?.querySelector('title')?.textContent;
    if (name !== undefined && name !== null) handlers.onNode(name);
  });
  host.addEventListener('dblclick', resetView);
  host.addEventListener('mouseover', (event) => {
    const edge = (event.target as Element | null)?.closest('g.edge');
    const info = edge === null || edge === undefined ? undefined : edgesById.get(edge.id);
    handlers.onEdge(info, { x: event.clientX, y: event.clientY });
  });
  host.addEventListener('mouseleave', (event) => handlers.onEdge(undefined, { x: event.clientX, y: event.clientY }));

  const nodes = (): Element[] => Array.from(stage.querySelectorAll('g.node'));
  const nodeName = (g: Element): string => g.querySelector('title')?.textContent ?? '';

  return {
    show(diagram, message) {
      current = diagram;
      edgesById = new Map((diagram?.edges ?? []).map((e) => [e.id, e]));
      if (diagram === undefined) {
        stage.innerHTML = '';
        const note = document.createElement('p');
        note.className = 'empty';
        note.textContent = message ?? '';
        stage.append(note);
        return;
      }
      stage.innerHTML = diagram.svg.slice(diagram.svg.indexOf('<svg'));
      const svg = stage.querySelector('svg');
      if (svg !== null) {
        // Fit the box: the viewBox keeps the drawing's proportions.
        svg.removeAttribute('width');
        svg.removeAttribute('height');
        svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
      }
    },
    highlight(selected) {
      stage.classList.toggle('has-highlight', selected.size > 0);
      for (const g of nodes()) g.classList.toggle('highlight', selected.has(nodeName(g)));
      for (const g of Array.from(stage.querySelectorAll('g.edge'))) {
        const e = edgesById.get(g.id);
        g.classList.toggle('highlight', e !== undefined && selected.has(e.from) && selected.has(e.to));
      }
    },
    annotate(marks) {
      for (const old of Array.from(stage.querySelectorAll('.mark'))) old.remove();
      for (const g of Array.from(stage.querySelectorAll('g.edge'))) {
        const e = edgesById.get(g.id);
        const mark = e === undefined || e.kind !== 'backward' ? undefined : marks.get(e.to);
        for (const path of Array.from(g.querySelectorAll('path'))) {
          path.style.strokeWidth = mark === undefined ? '' : String(1 + 5 * mark.weight);
        }
      }
      for (const g of nodes()) {
        const mark = marks.get(nodeName(g));
        const shape = g.querySelector('polygon, path, ellipse');
        if (mark === undefined || !(shape instanceof SVGGraphicsElement)) continue;
        const box = shape.getBBox();
        const text = document.createElementNS(SVG_NS, 'text');
        text.setAttribute('class', 'mark');
        text.setAttribute('x', String(box.x + box.width / 2));
        text.setAttribute('y', String(box.y - 3));
        text.setAttribute('text-anchor', 'middle');
        text.textContent = mark.label;
        g.append(text);
      }
    },
    svgText: () => current?.svg,
    resetView,
  };
}
