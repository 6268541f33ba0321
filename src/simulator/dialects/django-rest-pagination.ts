/**
 * DRF PageNumberPagination with `page_size_query_param`: `page` (1-based, or "last"), `page_size` (default
 * 100, capped at the API's max_page_size), and absolute next/previous links that keep every other query
 * parameter.
 */
import { parseIntParam } from '../query.js';

export const DEFAULT_PAGE_SIZE = 100;

/** DRF's `_positive_int(strict=True, cutoff=max)`: zero, negative or garbage falls back to the default. */
export function pageSize(param: string | undefined, max: number): number {
  const fallback = Math.min(DEFAULT_PAGE_SIZE, max);
  const n = parseIntParam(param);
  if (n === undefined || n <= 0) return fallback;
  return Math.min(n, max);
}

export function pageCount(count: number, size: number): number {
  return Math.max(1, Math.ceil(count / size));
}

/** The requested page number, or undefined when DRF would answer 404 "Invalid page.". */
export function resolvePage(param: string | undefined, pages: number): number | undefined {
  if (param === undefined) return 1;
  if (param === 'last') return pages;
  const n = parseIntParam(param);
  if (n === undefined || n < 1 || n > pages) return undefined;
  return n;
}

/**
 * The request's absolute URL with `page` replaced (or removed, for the link to page 1). Like DRF's
 * replace_query_param, parameters come out sorted by name; a repeated parameter keeps its last value.
 */
export function pageLink(base: string, query: Record<string, string>, page: number | undefined): string {
  const params = { ...query };
  if (page === undefined) delete params.page;
  else params.page = String(page);
  const qs = new URLSearchParams(
    Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ).toString();
  return qs === '' ? base : `${base}?${qs}`;
}
