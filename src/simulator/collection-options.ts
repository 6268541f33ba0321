/** What every simulated collection is built from, whatever its API's dialect adds. */
import type { ContractData } from './contract.js';
import type { TimelineShape } from './timeline.js';

export interface CollectionOptions<Ctx> {
  seed: number;
  size: number;
  /** Passed to the generators. */
  ctx: Ctx;
  /** When the generated history happens and how its stamps are rounded. */
  history: TimelineShape;
  /** Contract data modes (big ids, extra fields, tied stamps: each dialect honours its own); none by default. */
  dataModes?: ReadonlySet<ContractData>;
}
