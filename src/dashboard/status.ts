/** The one-word status of a connection the lists show, from what Redis knows of it. */
import type { ConnectionStatus } from '../cluster/dashboard-data.js';

export type Health = 'running' | 'paused' | 'failing' | 'healthy' | 'never';

export function health(s: ConnectionStatus): Health {
  if (s.running) return 'running';
  if (s.paused) return 'paused';
  if (!s.lastRun) return 'never';
  return s.lastRun.status === 'succeeded' ? 'healthy' : 'failing';
}

export const HEALTH_TEXT: Record<Health, string> = {
  running: 'running',
  paused: 'paused',
  failing: 'failing',
  healthy: 'healthy',
  never: 'never run',
};
