/**
 * Host lists for `--hosts-file` and `--inventory FILE --group NAME` (issue #10). An Ansible
 * inventory arrives as the JSON of `ansible-inventory --list`, so every inventory format
 * (INI, YAML, plugins) reads the same; this module only walks that JSON.
 */

export interface FleetHost {
  /** The inventory's name for the host: also the ssh_config alias looked up for keys and options. */
  name: string;
  /** `ansible_host`, `ansible_port`, `ansible_user`, when the inventory sets them. */
  hostName?: string;
  port?: number;
  user?: string;
  /** `ansible_connection=local`: this machine, no SSH. */
  local?: boolean;
}

/** One host per line; `#` starts a comment; blank lines are skipped. */
export function parseHostsFile(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean);
}

interface InventoryGroup { hosts?: string[]; children?: string[] }

/** The hosts of `group` (its children's included, each once, in inventory order) with their connection variables. */
export function inventoryGroupHosts(json: string, group: string): { hosts: FleetHost[]; errors: string[] } {
  let inventory: Record<string, InventoryGroup & { hostvars?: Record<string, Record<string, unknown>> }>;
  try {
    inventory = JSON.parse(json) as typeof inventory;
  } catch (error) {
    return { hosts: [], errors: [`the inventory is not JSON: ${(error as Error).message}`] };
  }
  if (!inventory || typeof inventory !== 'object') return { hosts: [], errors: ['the inventory is not a JSON object'] };
  if (!(group in inventory) || group === '_meta') {
    const groups = Object.keys(inventory).filter((name) => name !== '_meta');
    return { hosts: [], errors: [`no group "${group}" in the inventory (groups: ${groups.join(', ') || 'none'})`] };
  }
  const hostvars = (inventory._meta as { hostvars?: Record<string, Record<string, unknown>> } | undefined)?.hostvars ?? {};
  const names: string[] = [];
  const visited = new Set<string>();
  const walk = (name: string) => {
    if (visited.has(name)) return;
    visited.add(name);
    const entry = inventory[name];
    for (const host of entry?.hosts ?? []) if (!names.includes(host)) names.push(host);
    for (const child of entry?.children ?? []) walk(child);
  };
  walk(group);
  const hosts = names.map((name): FleetHost => {
    const vars = hostvars[name] ?? {};
    const text = (key: string) => (typeof vars[key] === 'string' || typeof vars[key] === 'number' ? String(vars[key]) : undefined);
    const port = Number(text('ansible_port') ?? text('ansible_ssh_port'));
    const hostName = text('ansible_host') ?? text('ansible_ssh_host');
    const user = text('ansible_user') ?? text('ansible_ssh_user');
    return {
      name,
      ...(hostName ? { hostName } : {}),
      ...(Number.isInteger(port) && port > 0 ? { port } : {}),
      ...(user ? { user } : {}),
      ...(text('ansible_connection') === 'local' ? { local: true } : {}),
    };
  });
  return { hosts, errors: hosts.length ? [] : [`group "${group}" has no hosts`] };
}
