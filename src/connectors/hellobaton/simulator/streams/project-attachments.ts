/** /api/project_attachments/: files and links on a project; some are the statement of work. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { ATTACHMENT_FILES } from './vocabulary.js';

export const projectAttachments: BatonStreamDef = {
  name: 'project_attachments',
  weight: 0.03,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('project_attachments'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const isFile = rng.chance(0.8);
    const file = rng.pick(ATTACHMENT_FILES);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('project_attachments', id))
      .str('type', isFile ? 'file' : 'link')
      .str('label', rng.chance(0.6) ? file.replace(/\.\w+$/, '').replace(/-/g, ' ') : null)
      .str(
        'url',
        isFile
          ? `https://files.hellobaton.com/attachments/${id}/${file}`
          : `https://docs.example.com/d/${id}`,
      )
      .str('original_filename', isFile ? file : null)
      .bool('is_sow', file === 'statement-of-work.pdf')
      .str('project', refs.ref('projects', rng))
      .str('created_by', refs.ref('users', rng))
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.label = rng.pick(['Final version', 'Signed copy', 'Draft']);
  },
};
