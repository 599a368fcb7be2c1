/**
 * The kernel catalog of the current target, loaded once per target in the background (from the
 * per-build disk cache when possible) and shared by completion, hover and attach diagnostics.
 */
import { Connection } from 'vscode-languageserver/node';
import type { KernelCatalogWithProvenance } from '../../core/src/catalog/kernel-catalog';
import { loadKernelCatalog } from '../../host/src/catalog/fetch';
import type { TargetProvider } from './targets';

export class CatalogProvider {
  private pending?: Promise<KernelCatalogWithProvenance | undefined>;
  private current?: KernelCatalogWithProvenance;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly connection: Connection, private readonly targets: TargetProvider) {}

  /** The catalog if it is loaded; undefined while loading (callers answer with what they can). */
  peek(): KernelCatalogWithProvenance | undefined {
    return this.current;
  }

  get(): Promise<KernelCatalogWithProvenance | undefined> {
    this.pending ??= this.load();
    return this.pending;
  }

  onDidLoad(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The target changed: forget the old kernel's catalog. */
  reset(): void {
    this.pending = undefined;
    this.current = undefined;
    void this.get();
  }

  private async load(): Promise<KernelCatalogWithProvenance | undefined> {
    const target = this.targets.current();
    try {
      const { catalog, timings, errors } = await loadKernelCatalog(target);
      this.connection.console.info(`catalog of ${target.name} (${catalog.origin.kernel}): ${catalog.tracepoints?.size ?? 0} tracepoints, ` +
        `${catalog.kallsyms?.size ?? 0} kernel functions, fetched in ${Math.round(timings.fetchMs)} ms${timings.cached ? ' (cache)' : ''}, built in ${Math.round(timings.buildMs)} ms`);
      for (const error of errors.slice(0, 5)) this.connection.console.warn(`catalog: ${error}`);
      this.current = catalog;
      for (const listener of this.listeners) listener();
      return catalog;
    } catch (error) {
      this.connection.console.error(`cannot read the kernel catalogs of ${target.name}: ${(error as Error).message}`);
      this.pending = undefined;
      return undefined;
    }
  }
}
