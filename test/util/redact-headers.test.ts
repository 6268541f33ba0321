/** redactHeaders: credential headers masked whole (an Authorization keeps its scheme), others through the redactor. */
import { describe, expect, it } from 'vitest';
import { Redactor, redactHeaders } from '../../src/util/redact.js';

describe('redactHeaders', () => {
  it('masks credential headers by name and registered secrets in any header', () => {
    const redactor = new Redactor();
    redactor.add('tenant-secret-77');
    expect(
      redactHeaders(
        {
          authorization: 'Bearer abc.def.ghi',
          'Proxy-Authorization': 'Basic dXNlcjpwYXNz',
          cookie: 'session=1',
          'x-api-key': 'k-123',
          'x-auth-token': 'short',
          'x-tenant': 'id=tenant-secret-77',
          accept: 'application/json',
        },
        redactor,
      ),
    ).toEqual({
      authorization: 'Bearer ***',
      'Proxy-Authorization': 'Basic ***',
      cookie: '***',
      'x-api-key': '***',
      'x-auth-token': '***',
      'x-tenant': 'id=***',
      accept: 'application/json',
    });
  });

  it('an Authorization without a known scheme is masked whole', () => {
    expect(redactHeaders({ Authorization: 'sk_live_123' }, new Redactor())).toEqual({ Authorization: '***' });
  });
});
