/**
 * What every server destination reads from its URL the same way: the URL (refused with TRB_DEST_OPEN unless
 * its scheme is one the dialect takes), the passwords it may carry, and the redactor that keeps them (and the
 * dialect's other secrets) out of every message, the refusal included.
 */
import { DestinationError } from '../../errors.js';

type Secret = string | undefined | null;

export interface ServerUrl<R> {
  url: URL;
  /** The password of the URL's userinfo, decoded. */
  urlPassword: string | undefined;
  /** A `?password=` parameter. */
  queryPassword: string | undefined;
  redactor: R;
}

export function parseServerUrl<R extends { redact(text: string): string }>(
  text: string,
  opts: {
    /** The server's name in the message, e.g. `MySQL`. */
    product: string;
    /** Accepted schemes, with the colon: `postgres:`. */
    schemes: readonly string[];
    /** The form the message asks for. */
    expected: string;
    /** Secrets from elsewhere (a separate password, the environment), added to the URL's. */
    secrets: readonly Secret[];
    redactor(secrets: Secret[]): R;
  },
): ServerUrl<R> {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const urlPassword = url?.password ? safeDecode(url.password) : undefined;
  const queryPassword = url?.searchParams.get('password') ?? undefined;
  const [first, ...rest] = opts.secrets;
  const redactor = opts.redactor([first, urlPassword, queryPassword, ...rest]);
  if (url === undefined || !opts.schemes.includes(url.protocol)) {
    throw new DestinationError(
      'TRB_DEST_OPEN',
      `the ${opts.product} destination URL is not valid: expected ${opts.expected}` +
        (url === undefined ? '' : ` (got scheme "${redactor.redact(url.protocol)}")`),
    );
  }
  return { url, urlPassword, queryPassword, redactor };
}

/** A URL component decoded, or as it is when it is not valid percent-encoding. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
