// Bundles the three entry points; tsc -b has already typechecked (esbuild does not).
import * as esbuild from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // ssh2's optional native addons are loaded lazily by ssh2 itself when present.
  external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js' }),
  esbuild.build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' }),
  esbuild.build({ ...common, entryPoints: ['cli/src/bpfdev.ts'], outfile: 'dist/bpfdev.js' }),
  // Runs as root through `sudo -S` for editors' privileged session (host/src/privileged-session.ts).
  esbuild.build({ ...common, entryPoints: ['host/src/privileged-broker.ts'], outfile: 'dist/privileged-broker.js' }),
  // Started by host/src/loader-output.ts from beside whichever bundle runs it.
  esbuild.build({ ...common, entryPoints: ['host/src/loader-output-worker.ts'], outfile: 'dist/loader-output-worker.js' }),
  // Started by host/src/btf-worker.ts (the BTF parse, off the server's thread).
  esbuild.build({ ...common, entryPoints: ['host/src/btf-worker.ts'], outfile: 'dist/btf-worker.js' }),
  esbuild.build({ ...common, entryPoints: ['host/src/elf-worker.ts'], outfile: 'dist/elf-worker.js' }),
]);
