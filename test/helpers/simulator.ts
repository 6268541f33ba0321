/** Small HTTP helpers for simulator tests: real requests over loopback, nothing mocked. */
import { request } from 'undici';

export const HUMAANS_TOKEN = 'sim-token';
export const BATON_KEY = 'sim-key';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON bodies
  json: any;
}

/** GET with undici (no redirect following, any Host header allowed); the body is read and parsed if JSON. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await request(url, { method: 'GET', headers });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** GET a Humaans URL with the default bearer token. */
export function humaansGet(url: string, token = HUMAANS_TOKEN): Promise<Reply> {
  return get(url, { authorization: `Bearer ${token}` });
}

/** Appends the Baton api_key to a URL. */
export function withKey(url: string, key = BATON_KEY): string {
  return `${url}${url.includes('?') ? '&' : '?'}api_key=${key}`;
}
