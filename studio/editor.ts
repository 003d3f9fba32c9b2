// The spec editor: CodeMirror 6 with JSON highlighting, completion and hover docs from
// chainrule's JSON Schema, and chainrule's own diagnostics (the server's `check`) as lint marks.
import { jsonLanguage, json } from '@codemirror/lang-json';
import { type Diagnostic, forceLinting, linter, lintGutter } from '@codemirror/lint';
import { hoverTooltip } from '@codemirror/view';
import { basicSetup, EditorView } from 'codemirror';
import { jsonCompletion, jsonSchemaHover, stateExtensions } from 'codemirror-json-schema';
import type { StudioDiagnostic } from '../src/studio/protocol.js';

export interface SpecEditor {
  readonly view: EditorView;
  text(): string;
  setText(text: string): void;
  /** Moves the cursor to a 1-based line and column and focuses the editor. */
  reveal(line: number, col: number): void;
}

/** Where a diagnostic sits in the document (whole line when it has only a line). */
function range(view: EditorView, d: StudioDiagnostic): { from: number; to: number } {
  const doc = view.state.doc;
  if (d.line === undefined || d.line < 1 || d.line > doc.lines) return { from: 0, to: Math.min(1, doc.length) };
  const line = doc.line(d.line);
  const from = Math.min(line.to, line.from + Math.max(0, (d.col ?? 1) - 1));
  const to = Math.min(line.to, from + Math.max(1, d.length ?? 1));
  return to > from ? { from, to } : { from: line.from, to: line.to };
}

/**
 * `check` runs on every pause in typing; it returns chainrule's diagnostics for the text, and the
 * editor shows them inline (underline, gutter mark, message on hover).
 */
export function createEditor(
  parent: HTMLElement,
  text: string,
  schema: unknown,
  check: (text: string) => Promise<readonly StudioDiagnostic[]>,
): SpecEditor {
  const chainruleLint = linter(
    async (view): Promise<Diagnostic[]> => {
      const found = await check(view.state.doc.toString());
      return found.map((d) => ({
        ...range(view, d),
        severity: d.severity,
        message: d.hint === undefined ? d.message : `${d.message}\nhint: ${d.hint}`,
        source: 'chainrule check',
      }));
    },
    { delay: 250 },
  );
  const view = new EditorView({
    parent,
    doc: text,
    extensions: [
      basicSetup,
      json(),
      jsonLanguage.data.of({ autocomplete: jsonCompletion() }),
      hoverTooltip(jsonSchemaHover()),
      stateExtensions(schema as Parameters<typeof stateExtensions>[0]),
      chainruleLint,
      lintGutter(),
      EditorView.lineWrapping,
    ],
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText: (next) => {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } });
      forceLinting(view);
    },
    reveal: (line, col) => {
      const doc = view.state.doc;
      const at = doc.line(Math.max(1, Math.min(doc.lines, line)));
      const pos = Math.min(at.to, at.from + col - 1);
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      view.focus();
    },
  };
}
