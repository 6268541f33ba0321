/**
 * /api/task_attachments/: files on a task, some of them deliverables awaiting approval. Airbyte's schema
 * gives `created`/`modified` no format here; they are still DRF datetimes.
 */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { ATTACHMENT_FILES } from './vocabulary.js';

export const taskAttachments: BatonStreamDef = {
  name: 'task_attachments',
  weight: 0.05,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('task_attachments'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const isFile = rng.chance(0.85);
    const file = rng.pick(ATTACHMENT_FILES);
    const deliverable = rng.chance(0.3);
    const requiresApproval = deliverable && rng.chance(0.7);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('task_attachments', id))
      .str('task', refs.ref('tasks', rng))
      .str(
        'url',
        isFile ? `https://files.hellobaton.com/tasks/${id}/${file}` : `https://docs.example.com/t/${id}`,
      )
      .str('type', isFile ? 'file' : 'link')
      .str('label', rng.chance(0.5) ? file.replace(/\.\w+$/, '') : null)
      .bool('deliverable', deliverable)
      .bool('requires_approval', requiresApproval)
      .bool('approved', requiresApproval ? (rng.chance(0.5) ? rng.chance(0.8) : null) : null)
      .str('revision_task', rng.chance(0.1) ? refs.ref('tasks', rng) : null)
      .str('original_filename', isFile ? file : null)
      .str('created_by', rng.chance(0.9) ? refs.ref('users', rng) : null)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.approved = rng.chance(0.8);
  },
};
