/**
 * Joining a connector's `base_url` with a stream's path. The base may carry a path prefix (`/api/v1`) and a
 * query string (`?tenant=acme`): both survive, the path extended, the query kept before the stream's own
 * parameters. Appending the path to the URL's text would put it inside the query (`?tenant=acme/people`).
 */
export function joinUrl(base: URL, path: string): URL {
  const url = new URL(base);
  url.hash = '';
  const rel = new URL(path.replace(/^\/+/, ''), 'http://placeholder/');
  const prefix = url.pathname.replace(/\/+$/, '');
  url.pathname = `${prefix}${rel.pathname}`;
  // The stream path's own query (`tasks?archived=false`) adds to the base's.
  for (const [k, v] of rel.searchParams) url.searchParams.append(k, v);
  return url;
}
