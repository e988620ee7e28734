// The PromQL editor: CodeMirror 6 with codemirror-promql (highlighting,
// linting, autocompletion of metric names, label names/values and functions
// from the querier's own API). One completion client is shared by all panels.
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder, drawSelection, highlightSpecialChars } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { prefix } from './api.js';

let promql = null;
function promqlExtension() {
  if (!promql) {
    promql = new PromQLExtension().setComplete({
      remote: { url: prefix, httpMethod: 'GET', cache: { maxAge: 5 * 60 * 1000 } },
    });
  }
  return promql.asExtension();
}

// Colours close to Prometheus' light theme.
const highlight = HighlightStyle.define([
  { tag: tags.number, color: '#09885a' },
  { tag: tags.string, color: '#a31515' },
  { tag: [tags.keyword, tags.operatorKeyword, tags.logicOperator], color: '#008080', fontWeight: 'bold' },
  { tag: tags.function(tags.variableName), color: '#008080' },
  { tag: tags.labelName, color: '#800000' },
  { tag: tags.operator, color: '#708' },
  { tag: tags.modifier, color: '#708' },
  { tag: tags.paren, color: '#555' },
  { tag: tags.squareBracket, color: '#555' },
  { tag: tags.brace, color: '#555' },
  { tag: tags.invalid, color: 'red' },
  { tag: tags.comment, color: '#888', fontStyle: 'italic' },
]);

const theme = EditorView.theme({
  '&': { fontSize: '14px', border: '1px solid #ced4da', borderRadius: '4px', background: '#fff' },
  '&.cm-focused': { outline: 'none', borderColor: '#80bdff', boxShadow: '0 0 0 2px rgba(0,123,255,.2)' },
  '.cm-content': { fontFamily: 'Menlo, Consolas, "DejaVu Sans Mono", monospace', padding: '6px 0' },
  '.cm-line': { padding: '0 8px' },
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: 'Menlo, Consolas, monospace', maxHeight: '16em' },
  '.cm-completionDetail': { color: '#888', fontStyle: 'normal', marginLeft: '.5em' },
});

// createEditor(parent, doc, onExecute, onChange) -> EditorView. Enter executes
// (unless the completion list is open), Shift+Enter inserts a newline.
export function createEditor(parent, doc, onExecute, onChange) {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        highlightSpecialChars(), history(), drawSelection(), indentOnInput(), bracketMatching(),
        closeBrackets(), autocompletion(), EditorView.lineWrapping,
        syntaxHighlighting(highlight), theme, placeholder('Expression (press Shift+Enter for newlines)'),
        Prec.high(keymap.of([
          { key: 'Enter', run: () => { onExecute(); return true; } },
          { key: 'Shift-Enter', run: insertNewlineAndIndent },
        ])),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
        promqlExtension(),
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(u.state.doc.toString()); }),
      ],
    }),
  });
}
