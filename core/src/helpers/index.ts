/**
 * Lookups over the generated BPF helper catalog (see scripts/gen-helper-defs.mjs), for
 * completion, hover and signature help.
 */
import { HELPERS, HELPER_CATALOG_SOURCE } from './helpers.generated';
import type { BpfHelper, BpfHelperArg, HelperCatalogSource } from './types';

export type { BpfHelper, BpfHelperArg, HelperCatalogSource };

let indexByName: Map<string, BpfHelper> | undefined;
let indexById: Map<number, BpfHelper> | undefined;

/** Every helper, in id order. */
export function all(): readonly BpfHelper[] {
  return HELPERS;
}

/** The helper called `name` (with the `bpf_` prefix), or undefined. */
export function byName(name: string): BpfHelper | undefined {
  indexByName ??= new Map(HELPERS.map((helper) => [helper.name, helper]));
  return indexByName.get(name);
}

/** The helper with call id `id` (as seen in a BPF `call` instruction or a verifier log), or undefined. */
export function byId(id: number): BpfHelper | undefined {
  indexById ??= new Map(HELPERS.map((helper) => [helper.id, helper]));
  return indexById.get(id);
}

/** Helpers whose name starts with `prefix`, in id order: completion candidates. */
export function withPrefix(prefix: string): BpfHelper[] {
  return HELPERS.filter((helper) => helper.name.startsWith(prefix));
}

export function catalogSource(): HelperCatalogSource {
  return HELPER_CATALOG_SOURCE;
}
