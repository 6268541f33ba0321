/**
 * /api/documents: the real Humaans fields, plus the fields the Fivetran example's mapping expects
 * (description, type, filename, fileSize, mimeType, url, expiryDate, tags), each sometimes present,
 * sometimes null and sometimes absent, as the mapping's defaults have to cope with all three.
 */
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { isoDate, isoMillis } from '../../../../simulator/timestamps.js';
import type { HumaansStreamDef, Refs } from '../stream-def.js';
import { optional } from './optional.js';
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

  // The benchmark serves a million of these, so this record is written as one string in field order,
  // with constant text merged, rather than through JsonWriter.
  record(i, createdAt, updatedAt, refs: Refs) {
    const rng = recordRng(refs.seed, SALT, i);
    const kindIndex = rng.int(DOCUMENT_KINDS.length);
    const kind = DOCUMENT_KINDS[kindIndex];
    const id = refs.ids('documents').id(i);
    const isLink = rng.chance(0.1);
    const filename = `${SLUGS[kindIndex]}-${i}.${kind.ext}`;
    let out =
      `{"id":"${id}","companyId":"${refs.idOf('companies', 0)}","personId":"${refs.pick('people', rng)}"` +
      `,"name":"${kind.name}","documentTypeId":"${refs.idOf('document-types', kindIndex)}","folderId":` +
      (rng.chance(0.4) ? 'null' : `"${refs.idOf('document-folders', rng.int(5))}"`);
    let url: string;
    if (isLink) {
      url = `https://drive.example.com/file/d/${id}`;
      out += `,"link":"${url}","fileId":null,"file":null`;
    } else {
      // The file id is the document id rotated: unique and id-shaped without minting another.
      const fileId = id.slice(12) + id.slice(0, 12);
      url = `https://files.humaans.io/${fileId}`;
      out += `,"link":null,"fileId":"${fileId}","file":{"id":"${fileId}","url":"${url}","filename":"${filename}"}`;
    }
    out += rng.chance(0.15)
      ? `,"source":"${rng.pick(DOCUMENT_SOURCES)}","sourceId":"${100000 + rng.int(900000)}"`
      : ',"source":null,"sourceId":null';
    out +=
      `,"issueDate":${rng.chance(0.7) ? `"${isoDate(createdAt - rng.int(60) * DAY)}"` : 'null'}` +
      `,"createdBy":${rng.chance(0.8) ? `"${refs.pick('people', rng)}"` : 'null'}` +
      `,"createdAt":"${isoMillis(createdAt)}","updatedAt":"${isoMillis(updatedAt)}"`;
    // The seed's fields: present, null or missing.
    out += optional(rng, 'description', 0.5, 0.25, `"${rng.pick(DOCUMENT_DESCRIPTIONS)}"`);
    out += optional(rng, 'type', 0.8, 0.1, `"${kind.type}"`);
    out += isLink ? ',"filename":null' : `,"filename":"${filename}"`;
    out += optional(rng, 'fileSize', 0.85, 0.05, String(isLink ? 0 : 2048 + rng.int(5_000_000)));
    out += isLink ? ',"mimeType":null' : `,"mimeType":"${kind.mime}"`;
    out += `,"url":"${url}"`;
    out += optional(rng, 'expiryDate', 0.3, 0.5, `"${isoDate(createdAt + (1 + rng.int(5)) * YEAR)}"`);
    if (rng.chance(0.6)) {
      const tags = rng.some(DOCUMENT_TAGS, 3);
      out += tags.length === 0 ? ',"tags":[]' : `,"tags":["${tags.join('","')}"]`;
    }
    // join copies the rope into one flat string while its pieces are still in cache; flattening it later,
    // when the page is written, costs several times more.
    return [out, '}'].join('');
  },

  touch(record, rng: Rng) {
    record.name = `${String(record.name).replace(/ \(v\d+\)$/, '')} (v${2 + rng.int(8)})`;
    record.description = rng.pick(DOCUMENT_DESCRIPTIONS);
  },
};
