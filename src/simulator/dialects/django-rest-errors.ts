/** Django REST framework error bodies: `{"detail": "..."}`, with DRF's stock messages. */

const MESSAGES: Record<number, string> = {
  401: 'Invalid API key.',
  403: 'You do not have permission to perform this action.',
  404: 'Not found.',
  405: 'Method not allowed.',
  500: 'A server error occurred.',
  502: 'Bad gateway.',
  503: 'Service temporarily unavailable, try again later.',
};

export function drfError(status: number, detail?: string): string {
  return JSON.stringify({ detail: detail ?? MESSAGES[status] ?? MESSAGES[500] });
}

/** DRF's Throttled message: "Expected available in N seconds." (singular for one). */
export function throttled(retryAfterSeconds?: number): string {
  if (retryAfterSeconds === undefined) return drfError(429, 'Request was throttled.');
  const unit = retryAfterSeconds === 1 ? 'second' : 'seconds';
  return drfError(429, `Request was throttled. Expected available in ${retryAfterSeconds} ${unit}.`);
}
