/**
 * Input validation driven by the OpenAPI document: each operation's request body and query
 * parameters are compiled (Ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1) from the
 * document itself, so the document and the checks cannot drift apart.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { LicenseError } from 'license-manager/formats';
import { openApiDocument } from './openapi.js';

// NOTE: ajv-formats is CommonJS; its default export arrives as the module object under tsx and node.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

const DOC_ID = 'https://license-manager.invalid/api/v1/openapi.json';

function ajvFor(o: { coerceTypes: boolean }): Ajv2020 {
  // strict: false, because the document carries OpenAPI keywords (paths, responses…) around the schemas.
  const ajv = new Ajv2020({ strict: false, allErrors: false, coerceTypes: o.coerceTypes, useDefaults: o.coerceTypes });
  addFormats(ajv);
  ajv.addSchema({ ...openApiDocument, $id: DOC_ID }, undefined, undefined, false);
  return ajv;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export interface OperationValidators {
  body?: ValidateFunction;
  query?: ValidateFunction;
}

/** Validators for the operation at `path` (the document's form) and `method`. */
export function operationValidators(path: string, method: string): OperationValidators {
  const operation = (
    openApiDocument.paths as Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string; in: string; schema: unknown }[] }>>
  )[path]?.[method];
  if (!operation) throw new TypeError(`The OpenAPI document has no ${method.toUpperCase()} ${path}.`);
  const out: OperationValidators = {};
  if (operation.requestBody) {
    out.body = bodyAjv.compile({ $ref: `${DOC_ID}#/${pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema')}` });
  }
  const query = (operation.parameters ?? []).map((p, i) => ({ ...p, i })).filter((p) => p.in === 'query');
  if (query.length) {
    // NOTE: the parameter schemas are copied in, not referenced: Ajv applies `default` only where it sees it.
    const properties = Object.fromEntries(query.map((p) => [p.name, structuredClone(p.schema)]));
    out.query = queryAjv.compile({ type: 'object', properties, additionalProperties: false });
  }
  return out;
}

const bodyAjv = ajvFor({ coerceTypes: false });
const queryAjv = ajvFor({ coerceTypes: true });

/** A sentence for the first thing wrong, naming the field as the client sent it. */
export function describeInvalid(where: 'body' | 'query', errors: ErrorObject[] | null | undefined): LicenseError {
  const e = errors?.[0];
  const field = e ? e.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
  const named = (name: string) => (where === 'query' ? `The query parameter ${name}` : `The field ${name}`);
  let detail = 'The request is not valid.';
  if (e?.keyword === 'required') detail = `${named(String(e.params.missingProperty))} is required.`;
  else if (e?.keyword === 'additionalProperties') detail = `${named(String(e.params.additionalProperty))} is not known here.`;
  else if (e && field) detail = `${named(field)} ${e.message ?? 'is not valid'}.`;
  else if (e?.keyword === 'type') detail = 'The body must be a JSON object.';
  return new LicenseError('VALIDATION_FAILED', { detail, data: { field: field || undefined } });
}
