/**
 * /api/documents: the real Humaans fields, plus the fields the Fivetran example's mapping expects
 * (description, type, filename, fileSize, mimeType, url, expiryDate, tags), each sometimes present,
 * sometimes null and sometimes absent, as the mapping's defaults have to cope with all three.
 */
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { isoDate, isoMillis } from '../../../../simulator/timestamps.js';
import type { HumaansStreamDef, Refs } from '../stream-def.js';
import { optional, strings } from './optional.js';
import { DOCUMENT_DESCRIPTIONS, DOCUMENT_KINDS, DOCUMENT_SOURCES, DOCUMENT_TAGS } from '../vocabulary.js';

const SALT = 0xd0c5;
const DAY = 86_400_000;
const YEAR = 365 * DAY;
/** File-name stems, computed once: a regex per record costs more than the rest of the record. */
const SLUGS = DOCUMENT_KINDS.map((k) => k.name.toLowerCase().replace(/ /g, '-'));

export const documents: HumaansStreamDef = {
  name: 'documents',
  path: 'documents',
  size: (records) => Math.max(0, Math.floor(records)),

  // The benchmark serves a million of these, so this record is built as one list of pieces rather than a
  // JsonWriter chain: a chain of `+=` makes a deep rope, and flattening it when the page is written costs
  // more than generating the record did.
  record(i, createdAt, updatedAt, refs: Refs) {
    const rng = recordRng(refs.seed, SALT, i);
    const kindIndex = rng.int(DOCUMENT_KINDS.length);
    const kind = DOCUMENT_KINDS[kindIndex];
    const id = refs.ids('documents').id(i);
    const isLink = rng.chance(0.1);
    // The file id is the document id rotated: unique and id-shaped without minting another.
    const fileId = isLink ? null : id.slice(12) + id.slice(0, 12);
    const filename = `${SLUGS[kindIndex]}-${i}.${kind.ext}`;
    const fileUrl = isLink ? null : `https://files.humaans.io/${fileId}/${filename}`;
    const link = isLink ? `https://drive.example.com/file/d/${id}` : null;
    const folder = rng.chance(0.4) ? 'null' : `"${refs.idOf('document-folders', rng.int(5))}"`;
    const file = isLink ? 'null' : `{"id":"${fileId}","url":"${fileUrl}","filename":"${filename}"}`;
    const fromImport = rng.chance(0.15);
    const source = fromImport ? `"${rng.pick(DOCUMENT_SOURCES)}"` : 'null';
    const sourceId = fromImport ? `"${100000 + rng.int(900000)}"` : 'null';
    const issueDate = rng.chance(0.7) ? `"${isoDate(createdAt - rng.int(60) * DAY)}"` : 'null';
    const createdBy = rng.chance(0.8) ? `"${refs.pick('people', rng)}"` : 'null';
    // The seed's fields: present, null or missing.
    const description = optional(rng, 'description', 0.5, 0.25, () => `"${rng.pick(DOCUMENT_DESCRIPTIONS)}"`);
    const type = optional(rng, 'type', 0.8, 0.1, () => `"${kind.type}"`);
    const fileSize = optional(rng, 'fileSize', 0.85, 0.05, () =>
      String(isLink ? 0 : 2048 + rng.int(5_000_000)),
    );
    const expiry = optional(
      rng,
      'expiryDate',
      0.3,
      0.5,
      () => `"${isoDate(createdAt + (1 + rng.int(5)) * YEAR)}"`,
    );
    const tags = rng.chance(0.6) ? `,"tags":${strings(rng.some(DOCUMENT_TAGS, 3))}` : '';
    // join builds one flat string; a template this long would build a rope that costs more to write out.
    return [
      '{"id":"',
      id,
      '","companyId":"',
      refs.idOf('companies', 0),
      '","personId":"',
      refs.pick('people', rng),
      '","name":"',
      kind.name,
      '","documentTypeId":"',
      refs.idOf('document-types', kindIndex),
      '","folderId":',
      folder,
      ',"link":',
      link === null ? 'null' : `"${link}"`,
      ',"fileId":',
      fileId === null ? 'null' : `"${fileId}"`,
      ',"file":',
      file,
      ',"source":',
      source,
      ',"sourceId":',
      sourceId,
      ',"issueDate":',
      issueDate,
      ',"createdBy":',
      createdBy,
      ',"createdAt":"',
      isoMillis(createdAt),
      '","updatedAt":"',
      isoMillis(updatedAt),
      '"',
      description,
      type,
      ',"filename":',
      isLink ? 'null' : `"${filename}"`,
      fileSize,
      ',"mimeType":',
      isLink ? 'null' : `"${kind.mime}"`,
      ',"url":"',
      fileUrl ?? link,
      '"',
      expiry,
      tags,
      '}',
    ].join('');
  },

  touch(record, rng: Rng) {
    record.name = `${String(record.name).replace(/ \(v\d+\)$/, '')} (v${2 + rng.int(8)})`;
    record.description = rng.pick(DOCUMENT_DESCRIPTIONS);
  },
};
