import { spawnSync } from 'node:child_process';

/** Whether an unprivileged user + network namespace with nftables works here (unshare, ip, nft). */
export function nftablesUsable(): boolean {
  const probe = spawnSync(
    'unshare',
    ['--user', '--map-root-user', '--net', '--', 'sh', '-c', 'ip link set lo up && nft list ruleset'],
    { stdio: 'ignore', timeout: 10_000 },
  );
  return probe.error === undefined && probe.status === 0;
}

export function netnsMissing(): string {
  return '--lb nftables cannot run here (needs unshare, ip and nft: apt-get install -y util-linux iproute2 nftables, and unprivileged user namespaces); its tests are skipped here and fail under CI.';
}
