/**
 * What `bpfdev setup` changes on a machine, and what `--undo` reverts, as argv commands run
 * as root. Pure: host/src/setup.ts gathers the facts and runs the plan.
 *
 * Why a root-owned copy: file capabilities on a binary its user can rewrite would let them put
 * any code behind CAP_BPF. The copy is root:bpfdev 0750, so only members of the group get the
 * capabilities, and the manifest records what setup created so undo removes only that.
 */
import { CAP_LOADER_DIR, CAP_LOADER_GROUP, capLoaderPath, SETUP_LOADER_CAPS } from './state';

export const SETUP_MANIFEST = `${CAP_LOADER_DIR}/setup.json`;

/** Written by setup, read by undo. */
export interface SetupManifest {
  version: 1;
  /** setup created the group (undo deletes it). */
  createdGroup: boolean;
  /** Users setup added to the group (undo removes them from it). */
  addedUsers: string[];
  /** Loader copies setup installed. */
  loaders: string[];
}

export interface SetupFacts {
  arch: string;
  /** The loader this build ships, to copy. */
  builtLoader: string;
  /** The user to grant (the one who ran setup through sudo); undefined for root alone. */
  user?: string;
  groupExists: boolean;
  userInGroup: boolean;
  /** The manifest of an earlier setup, when there is one. */
  manifest?: SetupManifest;
}

export interface SetupStep {
  /** What it does, in words, for the confirmation. */
  description: string;
  argv: string[];
}

export interface SetupPlan {
  steps: SetupStep[];
  /** Said before confirming: consequences the commands alone do not show. */
  notes: string[];
}

export function parseSetupManifest(text: string): SetupManifest | undefined {
  try {
    const value = JSON.parse(text) as Partial<SetupManifest>;
    if (value.version !== 1) return undefined;
    return {
      version: 1,
      createdGroup: value.createdGroup === true,
      addedUsers: Array.isArray(value.addedUsers) ? value.addedUsers.filter((user): user is string => typeof user === 'string') : [],
      loaders: Array.isArray(value.loaders) ? value.loaders.filter((file): file is string => typeof file === 'string' && file.startsWith(`${CAP_LOADER_DIR}/`)) : [],
    };
  } catch {
    return undefined;
  }
}

export function setupPlan(facts: SetupFacts): SetupPlan {
  const group = CAP_LOADER_GROUP;
  const target = capLoaderPath(facts.arch);
  const previous = facts.manifest;
  const manifest: SetupManifest = {
    version: 1,
    createdGroup: (previous?.createdGroup ?? false) || !facts.groupExists,
    addedUsers: [...new Set([...(previous?.addedUsers ?? []), ...(facts.user && !facts.userInGroup ? [facts.user] : [])])],
    loaders: [...new Set([...(previous?.loaders ?? []), target])],
  };
  const steps: SetupStep[] = [];
  if (!facts.groupExists) steps.push({ description: `create the system group ${group}`, argv: ['groupadd', '--system', group] });
  if (facts.user && !facts.userInGroup) steps.push({ description: `add ${facts.user} to ${group}`, argv: ['usermod', '-aG', group, facts.user] });
  steps.push(
    { description: `create ${CAP_LOADER_DIR} (root:root, 0755)`, argv: ['install', '-d', '-m', '755', '-o', 'root', '-g', 'root', CAP_LOADER_DIR] },
    // Under a temporary name first: the final name never holds a copy without its capabilities.
    { description: `copy the loader to ${target} (root:${group}, 0750)`, argv: ['install', '-m', '750', '-o', 'root', '-g', group, facts.builtLoader, `${target}.new`] },
    { description: `give it ${SETUP_LOADER_CAPS.join(', ')} (effective, permitted)`, argv: ['setcap', `${SETUP_LOADER_CAPS.join(',')}+ep`, `${target}.new`] },
    { description: `put it in place`, argv: ['mv', '-f', `${target}.new`, target] },
    { description: `record what setup changed in ${SETUP_MANIFEST}, for --undo`, argv: ['sh', '-c', 'printf "%s\\n" "$1" > "$2" && chmod 644 "$2"', 'write-manifest', JSON.stringify(manifest), SETUP_MANIFEST] },
  );
  const notes = [
    `Members of ${group} can load BPF programs, which read kernel memory: grant the group as you would grant sudo.`,
    `The capabilities apply to this copy only; rebuilding bpfdev's loader needs \`bpfdev setup\` again (bpfdev falls back to sudo meanwhile).`,
    ...(facts.user && !facts.userInGroup ? [`${facts.user} must log in again (or run \`newgrp ${group}\`) for the new group to apply.`] : []),
    'Undo: `bpfdev setup --undo`.',
  ];
  return { steps, notes };
}

/** Reverts what the manifest says setup did; with no manifest, removes only the loader copies. */
export function undoPlan(arch: string, manifest: SetupManifest | undefined): SetupPlan {
  const loaders = manifest?.loaders.length ? manifest.loaders : [capLoaderPath(arch)];
  const steps: SetupStep[] = [
    { description: `remove ${loaders.join(', ')} and ${SETUP_MANIFEST}`, argv: ['rm', '-f', '--', ...loaders, ...loaders.map((file) => `${file}.new`), SETUP_MANIFEST] },
    { description: `remove ${CAP_LOADER_DIR} if nothing else is in it`, argv: ['rmdir', '--ignore-fail-on-non-empty', CAP_LOADER_DIR] },
  ];
  for (const user of manifest?.addedUsers ?? []) {
    // `|| true`: a user deleted since setup is nothing left to undo.
    steps.push({ description: `remove ${user} from ${CAP_LOADER_GROUP}`, argv: ['sh', '-c', 'gpasswd -d "$1" "$2" >/dev/null 2>&1 || true', 'gpasswd', user, CAP_LOADER_GROUP] });
  }
  if (manifest?.createdGroup) steps.push({ description: `delete the group ${CAP_LOADER_GROUP}`, argv: ['sh', '-c', 'groupdel "$1" 2>/dev/null || true', 'groupdel', CAP_LOADER_GROUP] });
  return { steps, notes: manifest ? [] : [`no ${SETUP_MANIFEST}: only the loader copy is removed; the group ${CAP_LOADER_GROUP} and its members are left as they are`] };
}
