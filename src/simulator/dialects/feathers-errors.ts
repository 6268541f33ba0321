/** Feathers error bodies (`@feathersjs/errors` toJSON): what a Feathers API answers errors with. */

const CLASSES: Record<number, [name: string, className: string, message: string]> = {
  400: ['BadRequest', 'bad-request', 'Bad request'],
  401: ['NotAuthenticated', 'not-authenticated', 'Invalid authentication information'],
  404: ['NotFound', 'not-found', 'Page not found'],
  405: ['MethodNotAllowed', 'method-not-allowed', 'Method not allowed'],
  429: ['TooManyRequests', 'too-many-requests', 'Too many requests'],
  500: ['GeneralError', 'general-error', 'Internal server error'],
  502: ['BadGateway', 'bad-gateway', 'Bad gateway'],
  503: ['Unavailable', 'unavailable', 'Service unavailable'],
};

/** The JSON error body for `status`, with an optional specific message and `data`. */
export function feathersError(status: number, message?: string, data?: Record<string, unknown>): string {
  const [name, className, fallback] = CLASSES[status] ?? CLASSES[500];
  const body: Record<string, unknown> = { name, message: message ?? fallback, code: status, className };
  if (data) body.data = data;
  body.errors = {};
  return JSON.stringify(body);
}
