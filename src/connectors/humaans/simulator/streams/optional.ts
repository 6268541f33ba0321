import type { Rng } from '../../../../simulator/prng.js';

/**
 * `,"key":<json>` with probability `present`, `,"key":null` with probability `nul`, and nothing
 * otherwise: the Fivetran example's mapping has to survive all three, so the simulator serves all three.
 */
export function optional(rng: Rng, key: string, present: number, nul: number, json: string): string {
  const r = rng.next();
  if (r < present) return `,"${key}":${json}`;
  if (r < present + nul) return `,"${key}":null`;
  return '';
}
