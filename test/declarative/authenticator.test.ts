/** HTTP basic authentication over loopback HTTP: the header the API receives, and the password kept out of errors. */
import { describe, expect, it } from 'vitest';
import type { DeclarativeSource } from '../../src/declarative/declarative-source.js';
import { closeAfterEach, readPages } from '../helpers/declarative.js';
import { sendJson, type TestServer } from '../helpers/test-server.js';

let server: TestServer | undefined;
let source: DeclarativeSource | undefined;
const opened = closeAfterEach();

const manifest = `
version: 1
name: basicky
title: Basicky
spec:
  properties:
    base_url: { type: string }
    username: { type: string }
    password: { type: string, secret: true }
requester:
  base_url: "{{ config.base_url }}"
  max_retries: 0
  authenticator: { type: basic, username: "{{ config.username }}", password: "{{ config.password }}" }
check: { stream: things }
streams:
  - name: things
    path: things
    primary_key: [id]
    schema: things.json
`;

describe('basic authenticator', () => {
  it('sends Authorization: Basic base64(username:password)', async () => {
    server = await opened.serve((_req, res, seen) => {
      const expected = `Basic ${Buffer.from('ann:p@ss:w0rd-SECRET').toString('base64')}`;
      if (seen.headers.authorization !== expected) return sendJson(res, 401, { error: 'no' });
      sendJson(res, 200, [{ id: 1 }]);
    });
    source = opened.source(manifest, {
      base_url: server.origin,
      username: 'ann',
      password: 'p@ss:w0rd-SECRET',
    });
    const { pages, error } = await readPages(source, 'things');
    expect(error).toBeUndefined();
    expect(pages[0]!.records).toEqual([{ id: 1 }]);
  });

  it('a rejected login is TRB_AUTH, and neither the password nor its base64 form is in the error', async () => {
    const encoded = Buffer.from('ann:wrong-SECRET').toString('base64');
    server = await opened.serve((_req, res, seen) =>
      sendJson(res, 401, { error: 'bad credentials', echo: seen.headers.authorization }),
    );
    source = opened.source(manifest, { base_url: server.origin, username: 'ann', password: 'wrong-SECRET' });
    const { error } = await readPages(source, 'things');
    expect(error).toMatchObject({ code: 'TRB_AUTH' });
    expect(error!.message).not.toContain('wrong-SECRET');
    expect(error!.message).not.toContain(encoded);
    expect(server.requests).toHaveLength(1);
  });
});
