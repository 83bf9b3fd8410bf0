import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { BalancerFactory } from './balancer.js';
import { PIN_HEADER } from './balancer-haproxy.js';
import { BALANCER_ERROR_HEADER } from './load-http.js';
import { findFreePort, LOOPBACK, sleep } from './net-util.js';
import { setupError } from './replicas.js';
import type { BalancerStats } from './types.js';

/** Debian's libnginx-mod-http-lua (and the NDK module it needs). */
export const LUA_MODULES = Object.freeze([
  '/usr/lib/nginx/modules/ndk_http_module.so',
  '/usr/lib/nginx/modules/ngx_http_lua_module.so',
]);

/** How the endpoints change: in place through Lua (ingress-nginx), or by a reload (reload-based controllers). */
export type NginxUpdates = 'lua' | 'reload';

export interface NginxConfigInput {
  readonly prefix: string;
  readonly port: number;
  readonly adminPort: number;
  readonly updates: NginxUpdates;
  /** The endpoints, `host:port` (used by the reload mode; the Lua mode gets them at runtime). */
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly runAsRoot: boolean;
}

/**
 * nginx configured the way nginx-based ingresses configure it: an upstream keep-alive pool of
 * 320 connections kept 60 s, HTTP/1.1 to the pods, `proxy_next_upstream error timeout` (so a
 * POST is never retried: nginx retries a non-idempotent request only with `non_idempotent`).
 * nginx's own 502/503/504 pages carry a header, so that the report tells them from the app's.
 */
export function nginxConfig(input: NginxConfigInput): string {
  const dir = input.prefix;
  const lua = input.updates === 'lua';
  const seconds = `${Math.ceil(input.timeoutMs / 1000)}s`;
  return [
    ...(lua ? LUA_MODULES.map((module) => `load_module ${module};`) : []),
    ...(input.runAsRoot ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} notice;`,
    'events { worker_connections 16384; }',
    'http {',
    `  log_format upstreams '$msec $upstream_addr $status';`,
    `  access_log ${join(dir, 'access.log')} upstreams;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (kind) => `  ${kind}_temp_path ${join(dir, kind)};`,
    ),
    '  keepalive_timeout 75s;',
    '  keepalive_requests 1000;',
    ...(lua ? ['  lua_shared_dict endpoints 1m;'] : []),
    '  upstream pods {',
    ...(lua
      ? [
          '    server 0.0.0.1; # placeholder: the Lua balancer picks the peer',
          '    balancer_by_lua_block {',
          '      local balancer = require "ngx.balancer"',
          '      local peers = {}',
          '      local pinned',
          `      local pin = ngx.var.http_${PIN_HEADER.replaceAll('-', '_')}`,
          '      for name, host, port in string.gmatch(ngx.shared.endpoints:get("list") or "", "([%w%-]+)=([%d%.]+):(%d+)") do',
          '        peers[#peers + 1] = { host, tonumber(port) }',
          '        if name == pin then pinned = peers[#peers] end',
          '      end',
          '      if #peers == 0 then return ngx.exit(502) end',
          '      -- The simulator pins its long request to the pod it is about to delete.',
          '      if pinned and not ngx.ctx.tries then',
          '        ngx.ctx.tries = 1',
          '        return balancer.set_current_peer(pinned[1], pinned[2])',
          '      end',
          '      if not ngx.ctx.tries then',
          '        ngx.ctx.tries = 0',
          '        if #peers > 1 then balancer.set_more_tries(math.min(#peers - 1, 2)) end',
          '      end',
          '      ngx.ctx.tries = ngx.ctx.tries + 1',
          '      local n = ngx.shared.endpoints:incr("next", 1, 0)',
          '      local peer = peers[(n % #peers) + 1]',
          '      balancer.set_current_peer(peer[1], peer[2])',
          '    }',
        ]
      : input.endpoints.length === 0
        ? ['    server 127.0.0.1:1 down;']
        : input.endpoints.map((endpoint) => `    server ${endpoint} max_fails=0;`)),
    '    keepalive 320;',
    '    keepalive_timeout 60s;',
    '    keepalive_requests 10000;',
    '  }',
    '  server {',
    `    listen ${LOOPBACK}:${input.port} backlog=4096;`,
    '    location / {',
    '      proxy_pass http://pods;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '      proxy_next_upstream error timeout;',
    '      proxy_connect_timeout 5s;',
    `      proxy_read_timeout ${seconds};`,
    `      proxy_send_timeout ${seconds};`,
    '      error_page 502 @nginx502;',
    '      error_page 503 @nginx503;',
    '      error_page 504 @nginx504;',
    '    }',
    ...[502, 503, 504].map(
      (status) =>
        `    location @nginx${status} { add_header ${BALANCER_ERROR_HEADER} nginx always; return ${status} "nginx: ${status}\\n"; }`,
    ),
    '  }',
    ...(lua
      ? [
          '  server {',
          `    listen ${LOOPBACK}:${input.adminPort};`,
          '    location = /endpoints {',
          '      content_by_lua_block {',
          '        ngx.req.read_body()',
          '        ngx.shared.endpoints:set("list", ngx.req.get_body_data() or "")',
          '        ngx.say("ok")',
          '      }',
          '    }',
          '  }',
        ]
      : []),
    '}',
    '',
  ].join('\n');
}

/** `lua` where Debian's Lua module is installed, `reload` otherwise. */
export function nginxUpdates(): NginxUpdates {
  return LUA_MODULES.every((module) => existsSync(module)) ? 'lua' : 'reload';
}

export const nginxBalancer: BalancerFactory = async ({ settings, replicas, registry }) => {
  const updates = nginxUpdates();
  const prefix = await mkdtemp(join(tmpdir(), 'lameduck-nginx-'));
  for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(prefix, kind));
  const port = await findFreePort();
  const adminPort = await findFreePort();
  const config = join(prefix, 'nginx.conf');
  const endpoints = new Map(replicas.map((replica) => [replica.name, `${replica.host}:${replica.port}`]));
  const podOf = new Map<string, string>();
  for (const [name, address] of endpoints) podOf.set(address, name);
  const write = () =>
    writeFile(
      config,
      nginxConfig({
        prefix,
        port,
        adminPort,
        updates,
        endpoints: [...endpoints.values()],
        timeoutMs: settings.requestTimeoutMs + 5000,
        runAsRoot: process.getuid?.() === 0,
      }),
    );
  await write();
  const child: ChildProcess = spawn(
    settings.nginxPath,
    ['-p', prefix, '-c', config, '-e', join(prefix, 'error.log'), '-g', 'daemon off; master_process on;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  registry.addChild(child);
  let output = '';
  for (const stream of [child.stdout, child.stderr])
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      output = (output + chunk).slice(-4000);
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        setupError(
          error.code === 'ENOENT'
            ? `--lb nginx needs nginx, and ${JSON.stringify(settings.nginxPath)} was not found. Install it (Debian/Ubuntu: apt-get install -y nginx libnginx-mod-http-lua) or pass --nginx <path>; other balancers: --lb nftables, kube-proxy, haproxy.`
            : `could not start nginx (${error.code ?? error.message}).`,
        ),
      ),
    );
  });
  const stop = async () => {
    // SIGTERM is nginx's fast shutdown (the workers go with the master); SIGKILL after 2 s, and
    // then the workers by PID, since they would outlive a killed master.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(2000).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
    await killWorkers(prefix);
    await rm(prefix, { recursive: true, force: true });
  };
  const deadline = performance.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || performance.now() > deadline) {
      await stop();
      throw setupError(
        `nginx did not start listening on port ${port}. Its output:\n${output}${await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '')}`,
      );
    }
    await sleep(50);
  }
  const workers = () => countLines(join(prefix, 'error.log'), /start worker process/);

  const apply = async (): Promise<void> => {
    if (updates === 'lua') {
      const answer = await request(`http://${LOOPBACK}:${adminPort}/endpoints`, {
        method: 'POST',
        body: [...endpoints].map(([name, address]) => `${name}=${address}`).join(','),
      });
      await answer.body.dump();
      if (answer.statusCode !== 200)
        throw setupError(`nginx's Lua endpoint update answered HTTP ${answer.statusCode}`);
      return;
    }
    const before = await workers();
    await write();
    child.kill('SIGHUP');
    // The reload is done once the new worker started.
    const until = performance.now() + 5000;
    while ((await workers()) <= before && performance.now() < until) await sleep(20);
  };
  await apply();
  let deletedAt = 0;

  return {
    host: LOOPBACK,
    port,
    description: `nginx (pid ${child.pid}) on ${LOOPBACK}:${port}, ingress-style (upstream keepalive 320, 60 s; proxy_next_upstream error timeout); endpoints change ${updates === 'lua' ? 'in place through Lua (balancer_by_lua, as ingress-nginx)' : 'by a reload (as reload-based controllers; Lua module not installed)'}`,
    // The Lua balancer honours the pin header; a reload-based nginx cannot.
    pinHeaders: (pod): Record<string, string> => (updates === 'lua' ? { [PIN_HEADER]: pod } : {}),
    podOf: async () => undefined,
    async add(pod) {
      endpoints.set(pod.name, `${pod.host}:${pod.port}`);
      podOf.set(`${pod.host}:${pod.port}`, pod.name);
      await apply();
    },
    async deleted() {
      deletedAt = Date.now() / 1000;
    },
    async remove(pod) {
      endpoints.delete(pod);
      await apply();
    },
    async stats(): Promise<BalancerStats> {
      const log = await readFile(join(prefix, 'access.log'), 'utf8').catch(() => '');
      const connections: Record<string, number> = {};
      const after: Record<string, number> = {};
      for (const line of log.split('\n')) {
        const [at, upstream] = line.split(' ');
        if (at === undefined || upstream === undefined) continue;
        // `$upstream_addr` lists every peer tried: "a:1, b:2" (the last one answered).
        for (const address of upstream.split(',').map((part) => part.trim())) {
          const name = podOf.get(address);
          if (name === undefined) continue;
          connections[name] = (connections[name] ?? 0) + 1;
          if (deletedAt > 0 && Number(at) >= deletedAt) after[name] = (after[name] ?? 0) + 1;
        }
      }
      return {
        connections,
        refusedByPod: {},
        connectionsAfterDeletion: after,
        afterRemoval: {},
        notes: [
          `nginx changed the endpoints ${updates === 'lua' ? 'in place through Lua (no reload: the upstream keep-alive pool stayed)' : 'by a reload (new workers, fresh upstream pools)'}`,
        ],
      };
    },
    close: stop,
  };
};

async function countLines(file: string, pattern: RegExp): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => pattern.test(line)).length;
}

/** nginx workers outlive a SIGKILLed master: find them by the prefix in their parent's pid file. */
async function killWorkers(prefix: string): Promise<void> {
  const log = await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
  for (const match of log.matchAll(/start worker process (\d+)/g)) {
    try {
      process.kill(Number(match[1]), 'SIGKILL');
    } catch {
      // gone
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
