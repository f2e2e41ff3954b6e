/**
 * The findings bundle contract, version 1 (MIME type `application/vnd.diaglab.findings+json`; the
 * same JSON is a `*.findings.json` file). Renderers tolerate unknown extra keys and missing optional
 * ones, so everything read here is checked and normalized; nothing is trusted to have its type.
 */

export const MIME_TYPE = 'application/vnd.diaglab.findings+json';
export const SCHEMA = 'diaglab.findings';
export const VERSION = 1;

export type JSONValue =
  | string
  | number
  | boolean
  | null
  | JSONValue[]
  | { [key: string]: JSONValue };

export type JSONObject = { [key: string]: JSONValue };

export interface ITable {
  columns: string[];
  rows: JSONValue[][];
}

export interface IQuery {
  call: string | null;
  function: string | null;
  kwargs: JSONObject | null;
  ibis: string | null;
  sql: string | null;
}

export interface IFinding {
  id: string;
  title: string;
  note: string;
  author: string | null;
  createdAt: string | null;
  explorer: string | null;
  model: string | null;
  modelVersion: string | null;
  selection: JSONObject | null;
  query: IQuery;
  table: ITable;
  chart: JSONObject | null;
  chartSvg: string | null;
  watermark: JSONValue;
  claim: JSONValue;
  hash: string | null;
  prevHash: string | null;
}

export interface IFindingsBundle {
  version: number;
  generator: string | null;
  createdAt: string | null;
  findings: IFinding[];
}

/** A bundle that cannot be read at all: says what was expected. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return null;
}

function table(value: unknown): ITable {
  if (!isObject(value)) {
    return { columns: [], rows: [] };
  }
  const columns = Array.isArray(value.columns) ? value.columns.map(c => text(c) ?? '') : [];
  const rows = Array.isArray(value.rows)
    ? value.rows.map(r => (Array.isArray(r) ? r : [r]))
    : [];
  return { columns, rows };
}

function query(value: unknown): IQuery {
  const q = isObject(value) ? value : {};
  return {
    call: text(q.call),
    function: text(q.function),
    kwargs: isObject(q.kwargs) ? q.kwargs : null,
    ibis: text(q.ibis),
    sql: text(q.sql)
  };
}

function finding(value: unknown, index: number): IFinding {
  const f = isObject(value) ? value : {};
  return {
    id: text(f.id) ?? `finding-${index + 1}`,
    title: text(f.title) ?? '(untitled finding)',
    note: text(f.note) ?? '',
    author: text(f.author),
    createdAt: text(f.created_at),
    explorer: text(f.explorer),
    model: text(f.model),
    modelVersion: text(f.model_version),
    selection: isObject(f.selection) ? f.selection : null,
    query: query(f.query),
    table: table(f.table),
    chart: isObject(f.chart) ? f.chart : null,
    chartSvg: text(f.chart_svg),
    watermark: f.watermark ?? null,
    claim: f.claim ?? null,
    hash: text(f.hash),
    prevHash: text(f.prev_hash)
  };
}

/**
 * Read a bundle. Throws {@link BundleError} when `data` is not a diaglab findings bundle; a newer
 * version is read as far as version 1's fields go (the renderer says so).
 */
export function parseBundle(data: unknown): IFindingsBundle {
  if (!isObject(data)) {
    throw new BundleError(
      `expected a JSON object with "schema": "${SCHEMA}", got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`
    );
  }
  if (data.schema !== SCHEMA) {
    throw new BundleError(
      `expected "schema": "${SCHEMA}", got ${data.schema === undefined ? 'no "schema" key' : JSON.stringify(data.schema)}`
    );
  }
  const version = typeof data.version === 'number' ? data.version : NaN;
  if (!Number.isInteger(version) || version < 1) {
    throw new BundleError(
      `expected "version" to be a whole number >= 1, got ${JSON.stringify(data.version ?? null)}`
    );
  }
  if (data.findings !== undefined && !Array.isArray(data.findings)) {
    throw new BundleError(`expected "findings" to be a list, got ${typeof data.findings}`);
  }
  const findings = data.findings ?? [];
  return {
    version,
    generator: text(data.generator),
    createdAt: text(data.created_at),
    findings: findings.map(finding)
  };
}
