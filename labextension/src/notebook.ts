/**
 * The content of a new diagnostic notebook: one code cell that opens a store and its panel. The
 * user's store path and model are typed into dialogs, so they are written as Python string literals
 * (every quote, backslash and control character escaped), never pasted into code.
 */

/** `value` as a single-quoted Python string literal that evaluates back to `value`. */
export function pythonString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') {
      out += '\\\\';
    } else if (ch === "'") {
      out += "\\'";
    } else if (ch === '\n') {
      out += '\\n';
    } else if (ch === '\r') {
      out += '\\r';
    } else if (ch === '\t') {
      out += '\\t';
    } else if (code < 0x20 || code === 0x7f) {
      out += '\\x' + code.toString(16).padStart(2, '0');
    } else if (
      (code >= 0x80 && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      (code >= 0xd800 && code <= 0xdfff)
    ) {
      // C1 controls, line separators and lone surrogates would break the line or the file
      out += '\\u' + code.toString(16).padStart(4, '0');
    } else {
      out += ch;
    }
  }
  return out + "'";
}

/** The first cell: `import diaglab as dl`, open the store, show the panel for the model. */
export function firstCellSource(storePath: string, model: string): string {
  return [
    'import diaglab as dl',
    `store = dl.open(${pythonString(storePath)})`,
    `dl.panel(store, ${pythonString(model)})`
  ].join('\n');
}

export interface INotebookOptions {
  storePath: string;
  model: string;
  kernelName: string;
  kernelDisplayName?: string;
  /** nbformat 4.5 cell id */
  cellId: string;
}

/** An nbformat 4.5 notebook whose only cell is {@link firstCellSource}. */
export function diagnosticNotebook(options: INotebookOptions): Record<string, unknown> {
  return {
    cells: [
      {
        cell_type: 'code',
        id: options.cellId,
        execution_count: null,
        metadata: {},
        outputs: [],
        source: firstCellSource(options.storePath, options.model)
      }
    ],
    metadata: {
      kernelspec: {
        name: options.kernelName,
        display_name: options.kernelDisplayName ?? options.kernelName,
        language: 'python'
      },
      language_info: { name: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}

/** A blank or whitespace-only answer is refused with this message; otherwise null. */
export function checkAnswer(label: string, value: string | null): string | null {
  if (value === null) {
    return null;
  }
  return value.trim() === '' ? `${label} is required.` : null;
}
