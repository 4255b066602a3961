/**
 * Checks an API answer against the OpenAPI document the portal serves, with Ajv (JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1), built here apart from the portal's own validators.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;
const ID = 'https://test.invalid/openapi.json';
const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export interface ApiReply {
  status: number;
  body: any;
} // eslint-disable-line @typescript-eslint/no-explicit-any

export function responseChecker(doc: any) {
  // eslint-disable-line @typescript-eslint/no-explicit-any
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: ID }, undefined, undefined, false);
  const templates = Object.keys(doc.paths as object).map((t) => ({ t, re: new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`) }));
  let checked = 0;
  return {
    get checked() {
      return checked;
    },
    /** Throws unless the status is documented for the operation and the body matches its schema. */
    check(method: string, path: string, reply: ApiReply): void {
      const bare = path.split('?')[0]!;
      const template = templates.find((x) => x.re.test(bare))?.t;
      if (!template || !doc.paths[template][method]) {
        // an unknown route: still the documented error shape
        const v = ajv.getSchema(`${ID}#/components/schemas/Error`)!;
        if (!v(reply.body)) throw new Error(`${method} ${path} ${reply.status}: not an Error: ${ajv.errorsText(v.errors)}`);
        checked++;
        return;
      }
      const response = doc.paths[template][method].responses[String(reply.status)];
      if (!response) throw new Error(`${method.toUpperCase()} ${template} answered ${reply.status}, which the document does not list`);
      const key = `${ID}#/paths/${esc(template)}/${method}/responses/${reply.status}/content/application~1json/schema`;
      const v = ajv.getSchema(key) ?? ajv.compile({ $ref: key });
      if (!v(reply.body))
        throw new Error(
          `${method.toUpperCase()} ${template} ${reply.status} does not match the document: ${ajv.errorsText(v.errors)}\n${JSON.stringify(reply.body).slice(0, 400)}`,
        );
      checked++;
    },
  };
}
