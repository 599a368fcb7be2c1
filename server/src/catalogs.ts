/**
 * The kernel catalog of the current target, loaded once per target in the background (from the
 * per-build disk cache when possible) and shared by completion, hover and attach diagnostics.
 * When the target cannot be read, the bundled snapshot stands in, marked as such.
 */
import { TargetUserSpace } from '../../host/src/user-space';
import { Connection } from 'vscode-languageserver/node';
import type { KernelCatalogWithProvenance } from '../../core/src/catalog/kernel-catalog';
import { loadKernelCatalog } from '../../host/src/catalog/fetch';
import { loadSnapshotCatalog } from '../../host/src/catalog/snapshot';
import type { TargetProvider } from './targets';

export class CatalogProvider {
  private pending?: Promise<KernelCatalogWithProvenance | undefined>;
  private current?: KernelCatalogWithProvenance;
  /** Bumped by reset(): a load for a target that is no longer selected must not publish. */
  private generation = 0;
  private btfReadyMs?: number;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly connection: Connection, private readonly targets: TargetProvider) {}

  /** The catalog if it is loaded; undefined while loading (callers answer with what they can). */
  peek(): KernelCatalogWithProvenance | undefined {
    return this.current;
  }

  get(): Promise<KernelCatalogWithProvenance | undefined> {
    this.pending ??= this.load(this.generation);
    return this.pending;
  }

  onDidLoad(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** How long parsing the BTF took once it ran (undefined until then), for `bpfdev/stats`. */
  btfLoadMs(): number | undefined {
    return this.btfReadyMs;
  }

  /** The target changed: forget the old kernel's catalog. */
  reset(): void {
    this.generation++;
    this.pending = undefined;
    this.current = undefined;
    this.btfReadyMs = undefined;
    void this.get();
  }

  private async load(generation: number): Promise<KernelCatalogWithProvenance | undefined> {
    const target = this.targets.current();
    let catalog: KernelCatalogWithProvenance;
    try {
      const loaded = await loadKernelCatalog(target);
      catalog = loaded.catalog;
      const { timings } = loaded;
      this.connection.console.info(`catalog of ${target.name} (${catalog.origin.kernel}): ${catalog.tracepoints?.size ?? 0} tracepoints, ` +
        `${catalog.kallsyms?.size ?? 0} kernel functions, ${timings.cached ? 'cache read' : 'fetched'} in ${Math.round(timings.fetchMs)} ms, ` +
        `built in ${Math.round(timings.buildMs)} ms`);
      for (const error of loaded.errors.slice(0, 5)) this.connection.console.warn(`catalog: ${error}`);
    } catch (error) {
      try {
        catalog = loadSnapshotCatalog(target.name).catalog;
        this.connection.console.warn(`cannot read the kernel catalogs of ${target.name} (${(error as Error).message}); ` +
          `serving the bundled snapshot of ${catalog.origin.kernel}`);
      } catch (snapshotError) {
        this.connection.console.error(`cannot read the kernel catalogs of ${target.name}: ${(error as Error).message}; ` +
          `no bundled snapshot either: ${(snapshotError as Error).message}`);
        if (generation === this.generation) this.pending = undefined;
        return undefined;
      }
    }
    if (generation !== this.generation) return undefined;
    // Binaries and their symbols come from the target itself; a snapshot stands for no reachable one.
    if (catalog.origin.source !== 'snapshot') {
      const userSpace = new TargetUserSpace(target, () => {
        if (generation === this.generation) for (const listener of this.listeners) listener();
      });
      catalog.userSpace = userSpace;
      void userSpace.prefetch();
    }
    this.current = catalog;
    for (const listener of this.listeners) listener();
    this.warmBtf(catalog, generation);
    return catalog;
  }

  /**
   * Parses the BTF once the catalog is out, so the first hover or member completion does not
   * pay ~0.2 s for it. It still blocks the event loop while it runs, but after the load, not in it.
   */
  private warmBtf(catalog: KernelCatalogWithProvenance, generation: number): void {
    const btf = catalog.btf;
    if (!btf) return;
    // Two tasks (parse, then index), so a request that arrives meanwhile waits for one step, not both.
    let spentMs = 0;
    const step = (work: () => void, next?: () => void) => setImmediate(() => {
      if (generation !== this.generation) return;
      const started = performance.now();
      work();
      spentMs += performance.now() - started;
      if (next) next();
      else {
        this.btfReadyMs = spentMs;
        for (const error of btf.errors.slice(0, 3)) this.connection.console.warn(`catalog BTF: ${error}`);
      }
    });
    // A remote cache hit serves the catalog before the BTF bytes arrive: warm up once they do.
    // Then the kfunc table (a scan of the decl tags), so kfunc completion does not pay for it either.
    void btf.ready.then(() => step(() => btf.load(), () => step(() => btf.index(), () => step(() => btf.kfuncs.names()))));
  }
}
