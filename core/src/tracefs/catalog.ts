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
  /** A layout built without a format file (from BTF, see btf-tracepoints.ts); used when there is no `formatText`. */
  format?: TracepointFormat;
}

export interface TracepointInfo {
  readonly category: string;
  readonly event: string;
  /** Parsed on first access; undefined when the format is unknown or did not parse. */
  readonly format?: TracepointFormat;
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
  /** Format files that did not parse cleanly (their events are still listed); parses every format. */
  readonly errors: readonly TracepointCatalogError[];
}

/**
 * Builds the catalog without parsing any format file: a kernel has ~2,300 of them and a session
 * looks at a handful, so each is parsed on its first `get()` (`format` is a lazy getter).
 */
export function buildTracepointCatalog(entries: Iterable<TracepointCatalogEntry>): TracepointCatalog {
  const byCategory = new Map<string, Map<string, LazyTracepointInfo>>();
  const byEventName = new Map<string, LazyTracepointInfo[]>();
  let size = 0;

  for (const entry of entries) {
    let events = byCategory.get(entry.category);
    if (!events) {
      events = new Map();
      byCategory.set(entry.category, events);
    }
    if (events.has(entry.event)) continue;
    const info = new LazyTracepointInfo(entry.category, entry.event, entry.formatText, entry.format);
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
    // Asking for every error means parsing every format: only tests and diagnostics tools do.
    get errors() {
      const errors: TracepointCatalogError[] = [];
      for (const category of sortedCategories) {
        for (const info of byCategory.get(category)!.values()) {
          const parseErrors = info.errors();
          if (parseErrors.length > 0) errors.push({ category: info.category, event: info.event, errors: parseErrors });
        }
      }
      return errors;
    },
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

/** Holds the raw format text until someone asks for the layout, then only the parsed form. */
class LazyTracepointInfo implements TracepointInfo {
  private text: string | undefined;
  private parsed?: { format?: TracepointFormat; errors: ParseError[] };

  constructor(readonly category: string, readonly event: string, formatText: string | undefined, built: TracepointFormat | undefined) {
    this.text = formatText;
    if (formatText === undefined && built) this.parsed = { format: built, errors: [] };
  }

  get format(): TracepointFormat | undefined {
    return this.parse()?.format;
  }

  errors(): ParseError[] {
    return this.parse()?.errors ?? [];
  }

  private parse(): { format?: TracepointFormat; errors: ParseError[] } | undefined {
    if (this.parsed) return this.parsed;
    if (this.text === undefined) return undefined;
    const result = parseFormatFile(this.text);
    this.text = undefined;
    this.parsed = { ...(result.event ? { format: result.event } : {}), errors: result.errors };
    return this.parsed;
  }
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
