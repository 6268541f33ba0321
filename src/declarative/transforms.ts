/**
 * Record transforms: flatten nested objects, camelCase → snake_case, JSON-serialize arrays, UTC timestamps,
 * renames and added fields. Each manifest list compiles once into one function applied per record; this is
 * the CPU hot path of a sync, so it avoids per-record allocation where it can.
 */
import { RENAMED_FIELDS, type RenamedFields } from '../engine/renamed-fields.js';
import { ConfigError } from '../errors.js';
import { isExactNumber, stringifyJson } from '../util/exact-number.js';
import { getComponent } from './registry.js';
import type { TransformDef } from './manifest-schema.js';
import { resolve, type TemplateContext } from './template.js';

export type Rec = Record<string, unknown>;
export type RecordTransform = (record: Rec) => Rec;

/** Told once per transform list and disambiguated column: which source path now lands in which column. */
export type OnRename = (column: string, sourcePath: string, collidesWith: string) => void;

/**
 * Two source fields that flatten or snake_case to one name (`fooBar` and `foo_bar`, `a: {b}` and `a_b`)
 * both survive. Among the fields of one record that share a name, the one whose key IS that name (a
 * top-level field needing no change) keeps it, then the others in sorted order of their source paths
 * (`a.b`, `fooBar`); each later one gets the first free `name__2`, `name__3`, …. This depends only on the
 * record's set of fields, never on the order records arrive in, so it is the same in every sync. Returns
 * the new names (aligned with `names`) and which source path each renamed column holds, or undefined when
 * no name repeats.
 */
export function resolveCollisions(
  names: readonly string[],
  paths: readonly string[],
  literal: readonly boolean[],
): { names: string[]; renamed: Record<string, string>; collidesWith: Record<string, string> } | undefined {
  const seen = new Set<string>();
  let repeated = false;
  for (const n of names) {
    if (seen.has(n)) {
      repeated = true;
      break;
    }
    seen.add(n);
  }
  if (!repeated) return undefined;
  const groups = new Map<string, number[]>();
  for (let i = 0; i < names.length; i++) {
    const g = groups.get(names[i]!);
    if (g) g.push(i);
    else groups.set(names[i]!, [i]);
  }
  const out = [...names];
  const taken = new Set(names);
  const renamed: Record<string, string> = {};
  const collidesWith: Record<string, string> = {};
  for (const [name, idx] of groups) {
    if (idx.length < 2) continue;
    idx.sort((a, b) => {
      if (literal[a] !== literal[b]) return literal[a] ? -1 : 1;
      return paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : a - b;
    });
    let k = 2;
    for (let j = 1; j < idx.length; j++) {
      while (taken.has(`${name}__${k}`)) k++;
      const fresh = `${name}__${k}`;
      taken.add(fresh);
      out[idx[j]!] = fresh;
      renamed[fresh] = paths[idx[j]!]!;
      collidesWith[fresh] = paths[idx[0]!]!;
    }
  }
  return { names: out, renamed, collidesWith };
}

/** Build a record from resolved leaves, marking it with the renames (non-enumerable: not a field). */
function buildRenamed(names: readonly string[], values: readonly unknown[], renamed: RenamedFields): Rec {
  const out: Rec = {};
  for (let i = 0; i < names.length; i++) put(out, names[i]!, values[i]);
  Object.defineProperty(out, RENAMED_FIELDS, { value: renamed });
  return out;
}

/** Set a field; "__proto__" becomes an own field, as in an object literal. */
function put(out: Rec, name: string, v: unknown): void {
  if (name === '__proto__')
    Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
  else out[name] = v;
}

type Reporter = (r: { renamed: Record<string, string>; collidesWith: Record<string, string> }) => void;

/** Calls `onRename` once per (column, source path) for a transform list. */
function renameReporter(onRename: OnRename | undefined): Reporter {
  const told = new Set<string>();
  return (r) => {
    if (onRename === undefined) return;
    for (const [column, path] of Object.entries(r.renamed)) {
      const key = `${column}\u0000${path}`;
      if (told.has(key)) continue;
      told.add(key);
      onRename(column, path, r.collidesWith[column]!);
    }
  };
}

const snakeCache = new Map<string, string>();

/** camelCase / PascalCase / kebab to snake_case: `postalCode` → `postal_code`, `HTTPStatus` → `http_status`. */
export function toSnakeCase(name: string): string {
  let s = snakeCache.get(name);
  if (s === undefined) {
    s = name
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .replace(/[-\s]+/g, '_')
      .toLowerCase();
    if (snakeCache.size < 100_000) snakeCache.set(name, s);
  }
  return s;
}

function flatten(sep: string, report: Reporter): RecordTransform {
  // The common case writes straight into the output; false when a name repeats, and only such a record
  // pays for the leaves (names, source paths) that resolveCollisions needs.
  const direct = (src: Rec, prefix: string, out: Rec): boolean => {
    for (const key in src) {
      const v = src[key];
      const name = prefix ? prefix + sep + key : key;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isExactNumber(v)) {
        if (!direct(v as Rec, name, out)) return false;
      } else {
        if (Object.hasOwn(out, name)) return false;
        put(out, name, v);
      }
    }
    return true;
  };
  const walk = (src: Rec, prefix: string, dotted: string, out: Leaves) => {
    for (const key in src) {
      const v = src[key];
      const name = prefix ? prefix + sep + key : key;
      const path = dotted ? `${dotted}.${key}` : key;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isExactNumber(v))
        walk(v as Rec, name, path, out);
      else {
        out.names.push(name);
        out.paths.push(path);
        out.literal.push(dotted === '');
        out.values.push(v);
      }
    }
  };
  return (r) => {
    let nested = false;
    for (const key in r) {
      const v = r[key];
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isExactNumber(v)) {
        nested = true;
        break;
      }
    }
    if (!nested) return r;
    const out: Rec = {};
    if (direct(r, '', out)) return out;
    const leaves: Leaves = { names: [], paths: [], literal: [], values: [] };
    walk(r, '', '', leaves);
    return fromLeaves(leaves, report);
  };
}

interface Leaves {
  names: string[];
  paths: string[];
  literal: boolean[];
  values: unknown[];
}

function fromLeaves(l: Leaves, report: Reporter): Rec {
  const resolved = resolveCollisions(l.names, l.paths, l.literal);
  if (resolved === undefined) {
    const out: Rec = {};
    for (let i = 0; i < l.names.length; i++) put(out, l.names[i]!, l.values[i]);
    return out;
  }
  report(resolved);
  return buildRenamed(resolved.names, l.values, resolved.renamed);
}

function snakeCase(report: Reporter): RecordTransform {
  return (r) => {
    const out: Rec = {};
    let clash = false;
    for (const key in r) {
      const name = toSnakeCase(key);
      if (Object.hasOwn(out, name)) clash = true;
      out[name] = r[key];
    }
    if (!clash) return out;
    const leaves: Leaves = { names: [], paths: [], literal: [], values: [] };
    for (const key in r) {
      const name = toSnakeCase(key);
      leaves.names.push(name);
      leaves.paths.push(key);
      leaves.literal.push(name === key);
      leaves.values.push(r[key]);
    }
    return fromLeaves(leaves, report);
  };
}

const jsonArrays: RecordTransform = (r) => {
  for (const key in r) {
    const v = r[key];
    if (Array.isArray(v)) r[key] = stringifyJson(v);
  }
  return r;
};

/** Normalise parseable timestamps to ISO-8601 UTC (`...Z`); unparseable values are left as they are. */
export function toUtcIso(v: unknown): unknown {
  if (typeof v !== 'string' || v.length < 10) return v;
  // Fast path: already UTC with Z and milliseconds.
  if (v.length === 24 && v.charCodeAt(23) === 90 /* Z */ && v.charCodeAt(10) === 84 /* T */) return v;
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v)) return v;
  const s = v.replace(' ', 'T');
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? `${s}Z` : s);
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}

function utcTimestamps(fields: string[]): RecordTransform {
  return (r) => {
    for (const f of fields) if (f in r) r[f] = toUtcIso(r[f]);
    return r;
  };
}

function rename(map: Record<string, string>): RecordTransform {
  const pairs = Object.entries(map);
  return (r) => {
    for (const [from, to] of pairs) {
      if (from in r) {
        r[to] = r[from];
        delete r[from];
      }
    }
    return r;
  };
}

function addFields(fields: Record<string, string | number | boolean>, ctx: TemplateContext): RecordTransform {
  const resolved = Object.entries(fields).map(([k, v]) => [k, resolve(v, ctx)] as const);
  return (r) => {
    for (const [k, v] of resolved) r[k] = v;
    return r;
  };
}

/**
 * A node of a fused head's shape trie. A record's leaves, in order, spell a path from the root: a leaf
 * transition per plain value (keyed by its key), and enter/exit transitions around a flattened object.
 * The node where a record's path ends knows the record's output shape and holds a constructor compiled
 * for it, so every record of that shape becomes one object literal with fast in-object properties.
 */
class ShapeNode {
  /** First leaf transition out of this node (records of one stream mostly follow one path). */
  key: string | undefined;
  next: ShapeNode | undefined;
  leaves: Map<string, ShapeNode> | undefined;
  enters: Map<string, ShapeNode> | undefined;
  exit: ShapeNode | undefined;
  build: ((values: unknown[]) => Rec) | undefined;
  /** Index of the next leaf's value: the number of leaves on the path to here. */
  readonly index: number;

  constructor(
    readonly parent: ShapeNode | undefined,
    /** Output name of the leaf that leads here; undefined for entering or leaving a nested object. */
    readonly name: string | undefined,
    /** Entering a nested object: its path in the record (`file`, `file_meta`), the prefix of its leaves. */
    readonly prefix = '',
    /** The source path, dot-separated (`file.meta.size`): of the leaf, or of the object entered. */
    readonly path = '',
    /** A leaf whose output name is its top-level key unchanged (it keeps the name in a collision). */
    readonly literal = false,
  ) {
    this.index = parent === undefined ? 0 : parent.index + (name === undefined ? 0 : 1);
  }
}

/** Bounds on a fused head's shape trie; records past them take the generic path (same result, slower). */
const MAX_SHAPE_NODES = 50_000;
const MAX_SHAPES = 2_000;
const MAX_SHAPE_FIELDS = 2_000;

/**
 * One object literal per output shape: `{"id": v[0], "company_id": v[1], …}`. Names that collide are
 * disambiguated once per shape (resolveCollisions), and records of such a shape carry the renames.
 */
function compileShape(end: ShapeNode, report: Reporter): (values: unknown[]) => Rec {
  let names: string[] = [];
  const paths: string[] = [];
  const literal: boolean[] = [];
  for (let n: ShapeNode | undefined = end; n !== undefined; n = n.parent) {
    if (n.name !== undefined) {
      names.push(n.name);
      paths.push(n.path);
      literal.push(n.literal);
    }
  }
  names.reverse();
  paths.reverse();
  literal.reverse();
  const resolved = resolveCollisions(names, paths, literal);
  if (resolved !== undefined) {
    report(resolved);
    names = resolved.names;
  }
  // A computed key defines "__proto__" as an own property instead of setting the prototype.
  const props = names.map((n, i) => `${n === '__proto__' ? '["__proto__"]' : JSON.stringify(n)}: v[${i}]`);
  const build = new Function('v', `"use strict"; return {${props.join(', ')}};`) as (
    values: unknown[],
  ) => Rec;
  if (resolved === undefined) return build;
  const renamed = resolved.renamed;
  return (v) => {
    const out = build(v);
    Object.defineProperty(out, RENAMED_FIELDS, { value: renamed });
    return out;
  };
}

/**
 * One pass for the usual head of a transform list (flatten, snake_case, json_arrays in any order): walk the
 * record once, name each leaf once per shape, serialise arrays, and build one new object. The step-by-step
 * path allocates an object per step; on a million records that is most of the GC time. Objects built by
 * assigning two dozen computed keys one by one fall into V8's slow dictionary mode, which makes every later
 * step (JSON.stringify, row conversion, the destination's reads) slower, hence the per-shape literals.
 */
function fusedHead(
  sep: string | undefined,
  snake: boolean,
  jsonArr: boolean,
  report: Reporter,
): RecordTransform {
  const names = new Map<string, string>();
  const nameOf = (raw: string): string => {
    let n = names.get(raw);
    if (n === undefined) {
      n = snake ? toSnakeCase(raw) : raw;
      if (names.size < 10_000) names.set(raw, n);
    }
    return n;
  };
  const root = new ShapeNode(undefined, undefined);
  let nodes = 1;
  let shapes = 0;
  const values: unknown[] = [];
  const grow = (): boolean => {
    if (nodes >= MAX_SHAPE_NODES) return false;
    nodes++;
    return true;
  };

  /** Walk `src` from `node`, storing leaf values; the node the walk ends at, or undefined past the bounds. */
  const shapeWalk = (src: Rec, prefix: string, from: ShapeNode, dotted: string): ShapeNode | undefined => {
    let node = from;
    for (const key in src) {
      let v = src[key];
      if (v !== null && typeof v === 'object' && !isExactNumber(v)) {
        if (!Array.isArray(v)) {
          if (sep !== undefined) {
            let inner = node.enters?.get(key);
            if (inner === undefined) {
              if (!grow()) return undefined;
              inner = new ShapeNode(
                node,
                undefined,
                prefix === '' ? key : prefix + sep + key,
                dotted === '' ? key : `${dotted}.${key}`,
              );
              node.enters ??= new Map();
              node.enters.set(key, inner);
            }
            const end = shapeWalk(v as Rec, inner.prefix, inner, inner.path);
            if (end === undefined) return undefined;
            if (end.exit === undefined) {
              if (!grow()) return undefined;
              end.exit = new ShapeNode(end, undefined);
            }
            node = end.exit;
            continue;
          }
        } else if (jsonArr) {
          v = stringifyJson(v);
        }
      }
      if (node.index >= MAX_SHAPE_FIELDS) return undefined;
      values[node.index] = v;
      let next: ShapeNode | undefined;
      if (node.key === key) next = node.next!;
      else {
        next = node.leaves?.get(key);
        if (next === undefined) {
          if (!grow()) return undefined;
          const name = nameOf(prefix === '' ? key : prefix + sep + key);
          next = new ShapeNode(
            node,
            name,
            '',
            dotted === '' ? key : `${dotted}.${key}`,
            dotted === '' && name === key,
          );
          if (node.key === undefined) {
            node.key = key;
            node.next = next;
          } else {
            node.leaves ??= new Map();
            node.leaves.set(key, next);
          }
        }
      }
      node = next;
    }
    return node;
  };

  // The generic path, for records past the trie's bounds: the same leaves, names and collisions.
  const walk = (src: Rec, prefix: string, dotted: string, out: Leaves): void => {
    for (const key in src) {
      let v = src[key];
      const raw = prefix === '' ? key : prefix + sep + key;
      const path = dotted === '' ? key : `${dotted}.${key}`;
      if (v !== null && typeof v === 'object' && !isExactNumber(v)) {
        if (!Array.isArray(v)) {
          if (sep !== undefined) {
            walk(v as Rec, raw, path, out);
            continue;
          }
        } else if (jsonArr) {
          v = stringifyJson(v);
        }
      }
      const name = nameOf(raw);
      out.names.push(name);
      out.paths.push(path);
      out.literal.push(dotted === '' && name === key);
      out.values.push(v);
    }
  };
  return (r) => {
    const end = shapeWalk(r, '', root, '');
    if (end !== undefined) {
      let build = end.build;
      if (build === undefined && shapes < MAX_SHAPES) {
        shapes++;
        build = end.build = compileShape(end, report);
      }
      // `values` keeps the last record's leaves until the next one overwrites them: one record, bounded.
      if (build !== undefined) return build(values);
    }
    const leaves: Leaves = { names: [], paths: [], literal: [], values: [] };
    walk(r, '', '', leaves);
    return fromLeaves(leaves, report);
  };
}

const HEAD_TYPES = new Set(['flatten', 'snake_case', 'json_arrays']);

/** Compile a transform list into one function. `dateTimeFields` come from the stream's schema. */
export function compileTransforms(
  defs: TransformDef[],
  ctx: TemplateContext,
  dateTimeFields: string[],
  onRename?: OnRename,
): RecordTransform {
  const report = renameReporter(onRename);
  // Fuse the leading flatten/snake_case/json_arrays steps when their order cannot change the result:
  // flatten before snake_case (names are snake_cased after joining), each at most once.
  let head = 0;
  while (head < defs.length && HEAD_TYPES.has(defs[head]!.type)) head++;
  const headDefs = defs.slice(0, head);
  const kinds = headDefs.map((d) => d.type);
  const fusable =
    head > 0 &&
    new Set(kinds).size === kinds.length &&
    !(
      kinds.includes('snake_case') &&
      kinds.includes('flatten') &&
      kinds.indexOf('snake_case') < kinds.indexOf('flatten')
    );
  const fns: RecordTransform[] = [];
  if (fusable) {
    const flat = headDefs.find((d) => d.type === 'flatten') as { separator: string } | undefined;
    fns.push(fusedHead(flat?.separator, kinds.includes('snake_case'), kinds.includes('json_arrays'), report));
  }
  for (const d of fusable ? defs.slice(head) : defs) fns.push(compileOne(d, ctx, dateTimeFields, report));
  if (fns.length === 0) return (r) => r;
  if (fusable) {
    // The fused head builds a new object, so later steps may mutate it freely.
    return (record) => {
      let r = fns[0]!(record);
      for (let i = 1; i < fns.length; i++) r = fns[i]!(r);
      return r;
    };
  }
  return (record) => {
    // The first transform that may mutate works on a shallow copy, so the parsed body is never shared.
    let r: Rec = { ...record };
    for (const fn of fns) r = fn(r);
    return r;
  };
}

function compileOne(
  d: TransformDef,
  ctx: TemplateContext,
  dateTimeFields: string[],
  report: Reporter,
): RecordTransform {
  switch (d.type) {
    case 'flatten':
      return flatten(d.separator, report);
    case 'snake_case':
      return snakeCase(report);
    case 'json_arrays':
      return jsonArrays;
    case 'utc_timestamps':
      return utcTimestamps(d.fields ?? dateTimeFields);
    case 'rename':
      return rename(d.fields);
    case 'add_fields':
      return addFields(d.fields, ctx);
    case 'custom': {
      const factory = getComponent('transform', d.component);
      if (!factory) {
        throw new ConfigError(`manifest: transform component "${d.component}" is not registered`, {
          code: 'TRB_MANIFEST_INVALID',
        });
      }
      return factory(ctx) as RecordTransform;
    }
  }
}
