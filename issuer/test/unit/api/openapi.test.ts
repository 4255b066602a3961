import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { API_ROUTES, openApiDocument, permissionOf } from '../../../lib/api/index.js';
import { PERMISSIONS } from '../../../lib/portal/permissions.js';

describe('the API v1 OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(openApiDocument) as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(validator.version).to.equal('3.1');
  });

  it("describes exactly the routes served, each with a permission of the portal's table", () => {
    const documented = Object.entries(openApiDocument.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();
    expect(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).to.deep.equal(documented);
    for (const r of API_ROUTES) expect(PERMISSIONS).to.include(permissionOf(r));
  });
});
