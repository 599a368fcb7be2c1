/**
 * In-memory catalog of a kernel's tracepoints, built once per target and queried on every keystroke
 * inside `SEC("tracepoint/...")`, so lookups are map hits and prefix queries are binary searches.
 */
import { ParseError, TracepointFormat, parseFormatFile } from './format';

export interface TracepointCatalogEntry {
  category: string;
  event: string;
  /** Absent when only `available_events` was read; the event is then known but its layout is not. */
  formatText?: string;
}

export interface TracepointInfo {
  category: string;
  event: string;
  format?: TracepointFormat;
}

export interface TracepointCatalogError {
  category: string;
  event: string;
  errors: ParseError[];
}

export interface TracepointCatalog {
  readonly size: number;
  /** Sorted. */
  categories(): readonly string[];
  /** Sorted; empty for an unknown category. */
  events(category: string): readonly string[];
  get(category: string, event: string): TracepointInfo | undefined;
  hasCategory(category: string): boolean;
  categoriesWithPrefix(prefix: string): string[];
  eventsWithPrefix(category: string, prefix: string): string[];
  /**
   * Every tracepoint named `event` regardless of category: raw_tp and tp_btf sections name the
   * tracepoint without its category.
   */
  findByEventName(event: string): TracepointInfo[];
  /** Sorted unique event names across categories (raw tracepoint names). */
  eventNames(): readonly string[];
  /** Format files that did not parse cleanly; their events are still listed. */
  readonly errors: readonly TracepointCatalogError[];
}

export function buildTracepointCatalog(entries: Iterable<TracepointCatalogEntry>): TracepointCatalog {
  const byCategory = new Map<string, Map<string, TracepointInfo>>();
  const byEventName = new Map<string, TracepointInfo[]>();
  const errors: TracepointCatalogError[] = [];
  let size = 0;

  for (const entry of entries) {
    let events = byCategory.get(entry.category);
    if (!events) {
      events = new Map();
      byCategory.set(entry.category, events);
    }
    if (events.has(entry.event)) continue;
    const info: TracepointInfo = { category: entry.category, event: entry.event };
    if (entry.formatText !== undefined) {
      const parsed = parseFormatFile(entry.formatText);
      if (parsed.event) info.format = parsed.event;
      if (parsed.errors.length > 0) errors.push({ category: entry.category, event: entry.event, errors: parsed.errors });
    }
    events.set(entry.event, info);
    const sameName = byEventName.get(entry.event);
    if (sameName) sameName.push(info);
    else byEventName.set(entry.event, [info]);
    size++;
  }

  const sortedCategories = [...byCategory.keys()].sort();
  const sortedEvents = new Map<string, string[]>();
  for (const [category, events] of byCategory) sortedEvents.set(category, [...events.keys()].sort());
  const sortedEventNames = [...byEventName.keys()].sort();

  return {
    size,
    errors,
    categories: () => sortedCategories,
    events: (category) => sortedEvents.get(category) ?? [],
    get: (category, event) => byCategory.get(category)?.get(event),
    hasCategory: (category) => byCategory.has(category),
    categoriesWithPrefix: (prefix) => sortedPrefixRange(sortedCategories, prefix),
    eventsWithPrefix: (category, prefix) => sortedPrefixRange(sortedEvents.get(category) ?? [], prefix),
    findByEventName: (event) => byEventName.get(event) ?? [],
    eventNames: () => sortedEventNames,
  };
}

/** First index whose value is >= `key` in a sorted array (code-unit order, as Array.prototype.sort). */
export function lowerBound(sorted: readonly string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function sortedPrefixRange(sorted: readonly string[], prefix: string, limit = Infinity): string[] {
  const result: string[] = [];
  for (let index = lowerBound(sorted, prefix); index < sorted.length && result.length < limit; index++) {
    if (!sorted[index].startsWith(prefix)) break;
    result.push(sorted[index]);
  }
  return result;
}
