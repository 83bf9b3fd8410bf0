import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { judgeSignalPath, type ProcessHop, readSignalPath } from '../src/diagnostics/signal-path.js';
import { createReport, runStartupDiagnostics } from '../src/diagnostics/startup.js';
import { ENV_VARS, ErrorCodes, findUnknownEnvVars, type Logger } from '../src/index.js';
import { createTestLameduck, listen } from './support/harness.js';

interface Line {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    lines.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const hop = (
  pid: number,
  name: string,
  argv: string[],
  takesSigterm: boolean,
  parentPid = pid - 1,
): ProcessHop => ({
  pid,
  parentPid,
  name,
  argv,
  takesSigterm,
});
const node = (pid: number) => hop(pid, 'node', ['node', 'server.js'], true);

describe('judgeSignalPath: the measured verdicts', () => {
  const broken = {
    'npm start': [
      hop(1, 'npm start', ['npm', 'start'], true),
      hop(12, 'sh', ['sh', '-c', 'node server.js'], false),
      node(13),
    ],
    'npm exec pnpm': [
      hop(1, 'npm exec pnpm@1', ['npm', 'exec', 'pnpm@12.4.2', 'start'], true),
      hop(12, 'sh', ['sh', '-c', 'pnpm start'], false),
      hop(13, 'pnpm', ['pnpm', 'start'], true),
      node(22),
    ],
    'yarn run by node': [hop(1, 'node', ['node', '/opt/yarn-v1.22.22/bin/yarn.js', 'start'], true), node(13)],
    'sh -c without exec': [hop(1, 'sh', ['sh', '-c', 'node server.js'], false), node(2)],
    'script without exec': [hop(1, 'start.sh', ['/bin/sh', './start.sh'], false), node(2)],
    'tini then npm': [
      hop(1, 'tini', ['tini', '--', 'npm', 'start'], false),
      hop(2, 'npm start', ['npm', 'start'], true),
      node(14),
    ],
    'dumb-init then npm': [
      hop(1, 'dumb-init', ['dumb-init', 'npm', 'start'], true),
      hop(2, 'npm start', ['npm', 'start'], true),
      node(14),
    ],
    'dumb-init then sh': [
      hop(1, 'dumb-init', ['dumb-init', 'sh', '-c', 'node a'], true),
      hop(2, 'sh', ['sh', '-c', 'node a'], false),
      node(3),
    ],
    'an unknown PID 1 that does not handle SIGTERM': [
      hop(1, 'sleeper', ['/usr/local/bin/sleeper'], false),
      node(2),
    ],
  };
  for (const [name, hops] of Object.entries(broken)) {
    it(`${name}: a finding`, () => {
      const finding = judgeSignalPath(hops);
      expect(finding).toBeDefined();
      expect(finding?.path).toMatch(/^PID 1 `.*→ node \(this process\)$/);
    });
  }

  const fine = {
    'node is PID 1': [node(1)],
    'tini then node': [hop(1, 'tini', ['tini', '--', 'node', 'server.js'], false), node(2)],
    'dumb-init then node': [hop(1, 'dumb-init', ['dumb-init', 'node', 'server.js'], true), node(2)],
    'a script whose trap forwards SIGTERM': [hop(1, 'start.sh', ['/bin/sh', './start.sh'], true), node(2)],
    'an unknown PID 1 that handles SIGTERM': [hop(1, 'supervisor', ['supervisor'], true), node(2)],
  };
  for (const [name, hops] of Object.entries(fine)) {
    it(`${name}: no finding`, () => {
      expect(judgeSignalPath(hops)).toBeUndefined();
    });
  }

  it('dumb-init --single-child passes SIGTERM to its child only, like tini', () => {
    const hops = [
      hop(1, 'dumb-init', ['dumb-init', '--single-child', 'npm', 'start'], true),
      hop(2, 'npm start', ['npm', 'start'], true),
      node(3),
    ];
    expect(judgeSignalPath(hops)?.culprit).toBe('`npm start`');
  });
});

describe('readSignalPath over a /proc tree', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function fakeProc(
    namespace: string,
    processes: Array<[pid: number, ppid: number, name: string, argv: string[], sigCgt: string]>,
  ): string {
    const root = mkdtempSync(join(tmpdir(), 'lameduck-proc-'));
    roots.push(root);
    mkdirSync(join(root, 'self', 'ns'), { recursive: true });
    symlinkSync(namespace, join(root, 'self', 'ns', 'pid'));
    for (const [pid, ppid, name, argv, sigCgt] of processes) {
      mkdirSync(join(root, String(pid)));
      writeFileSync(
        join(root, String(pid), 'status'),
        `Name:\t${name}\nPid:\t${pid}\nPPid:\t${ppid}\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t${sigCgt}\n`,
      );
      writeFileSync(join(root, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
    }
    return root;
  }
  const npmTree: Array<[number, number, string, string[], string]> = [
    [1, 0, 'npm start', ['npm', 'start'], '0000000000004000'],
    [12, 1, 'sh', ['sh', '-c', 'node server.js'], '0000000000000000'],
    [13, 12, 'node', ['node', 'server.js'], '0000000000004000'],
  ];

  it('follows PPid from node up to PID 1 and reads names, command lines and SigCgt', () => {
    const hops = readSignalPath(fakeProc('pid:[4026532400]', npmTree), 13);
    expect(hops?.map((h) => [h.pid, h.name, h.takesSigterm])).toEqual([
      [1, 'npm start', true],
      [12, 'sh', false],
      [13, 'node', true],
    ]);
  });

  it("says nothing in the host's PID namespace (a terminal signals the whole process group)", () => {
    expect(readSignalPath(fakeProc('pid:[4026531836]', npmTree), 13)).toBeUndefined();
  });

  it('says nothing when the ancestry leaves the namespace before PID 1 (kubectl exec, shareProcessNamespace)', () => {
    const shared: Array<[number, number, string, string[], string]> = [
      [1, 0, 'pause', ['/pause'], '0000000000004000'],
      [7, 0, 'sh', ['sh', '-c', 'node server.js'], '0000000000000000'],
      [8, 7, 'node', ['node', 'server.js'], '0000000000004000'],
    ];
    expect(readSignalPath(fakeProc('pid:[4026532400]', shared), 8)).toBeUndefined();
  });

  it('says nothing when /proc cannot be read', () => {
    expect(readSignalPath('/nonexistent-proc', 13)).toBeUndefined();
  });

  it("strict mode turns the finding into a LAMEDUCK_DIAGNOSTIC error; 'off' into nothing", () => {
    const procRoot = fakeProc('pid:[4026532400]', npmTree);
    const { logger, lines } = recordingLogger();
    const run = (mode: 'warn' | 'off' | 'strict') =>
      runStartupDiagnostics({
        report: createReport(mode, logger),
        env: {},
        realSignals: true,
        procRoot,
        pid: 13,
      });
    if (process.platform !== 'linux') return;
    expect(() => run('strict')).toThrow(expect.objectContaining({ code: ErrorCodes.DIAGNOSTIC }));
    run('off');
    expect(lines).toEqual([]);
    run('warn');
    expect(lines.map((l) => [l.level, l.obj.check])).toEqual([['warn', 'signal-path']]);
    expect(lines[0]?.msg).toContain('exec');
  });
});

describe('LAMEDUCK_* variables', () => {
  it('an unknown name gets the closest known one', () => {
    expect(
      findUnknownEnvVars({ LAMEDUCK_DRAINDELAY_MS: '3000', LAMEDUCK_DRAIN_DELAY_MS: '1', PATH: '/bin' }),
    ).toEqual([{ name: 'LAMEDUCK_DRAINDELAY_MS', closest: 'LAMEDUCK_DRAIN_DELAY_MS' }]);
    expect(findUnknownEnvVars({ LAMEDUCK_GRACE_PERIOD: '30' })[0]?.closest).toBe(
      'LAMEDUCK_GRACE_PERIOD_SECONDS',
    );
  });

  it('every name in ENV_VARS is known, whoever added it', () => {
    const env = Object.fromEntries(Object.values(ENV_VARS).map((name) => [name, 'x']));
    expect(findUnknownEnvVars(env)).toEqual([]);
  });

  it('createLameduck warns once per unknown name, and throws in strict mode', () => {
    const { logger, lines } = recordingLogger();
    createTestLameduck({ logger, env: { LAMEDUCK_DRAINDELAY_MS: '3000' } }).lameduck.dispose();
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.obj.variable)).toEqual([
      'LAMEDUCK_DRAINDELAY_MS',
    ]);
    expect(lines[0]?.msg).toContain('Did you mean LAMEDUCK_DRAIN_DELAY_MS?');
    expect(() =>
      createTestLameduck({ logger, diagnostics: 'strict', env: { LAMEDUCK_DRAINDELAY_MS: '1' } }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.DIAGNOSTIC }));
    expect(() =>
      createTestLameduck({ logger, env: { LAMEDUCK_DRAINDELAY_MS: '1', LAMEDUCK_DIAGNOSTICS: 'strict' } }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.DIAGNOSTIC }));
    const before = lines.length;
    createTestLameduck({
      logger,
      env: { LAMEDUCK_DRAINDELAY_MS: '1', LAMEDUCK_DIAGNOSTICS: 'off' },
    }).lameduck.dispose();
    expect(lines.length).toBe(before);
  });

  it('LAMEDUCK_LOG_LEVEL and LAMEDUCK_DIAGNOSTICS accept only their values', () => {
    for (const env of [{ LAMEDUCK_LOG_LEVEL: 'verbose' }, { LAMEDUCK_DIAGNOSTICS: 'loud' }]) {
      expect(() => createTestLameduck({ env })).toThrow(
        expect.objectContaining({ code: ErrorCodes.INVALID_ENV }),
      );
    }
    expect(() => createTestLameduck({ diagnostics: 'loud' as 'warn' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
    for (const level of ['debug', 'info', 'warn', 'error', 'silent']) {
      createTestLameduck({ env: { LAMEDUCK_LOG_LEVEL: level } }).lameduck.dispose();
    }
  });
});

describe('keep-alive below the balancer idle timeout (opt-in)', () => {
  const servers: http.Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });
  const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

  it('warns once per attached server whose keepAliveTimeout is not above it, after the code that listens ran', async () => {
    const { logger, lines } = recordingLogger();
    const { lameduck } = createTestLameduck({ logger, balancerIdleTimeoutMs: 60_000 });
    const low = await listen((_req, res) => res.end());
    const high = await listen((_req, res) => res.end());
    const later = http.createServer((_req, res) => res.end());
    servers.push(low, high, later);
    lameduck.attach(low);
    lameduck.attach(high);
    high.keepAliveTimeout = 61_000; // set after attach(), as app code often does
    lameduck.attach(later);
    later.keepAliveTimeout = 60_000;
    later.listen(0, '127.0.0.1');
    await new Promise((resolve) => later.once('listening', resolve));
    await settle();
    const warnings = lines.filter((l) => l.obj.check === 'keep-alive');
    expect(warnings.map((l) => l.obj.keepAliveTimeout)).toEqual([5000, 60_000]);
    expect(warnings[0]?.msg).toContain('keepAliveTimeout = 61000');
    lameduck.dispose();
  });

  it('checks nothing when the balancer idle timeout is not stated, and reads LAMEDUCK_BALANCER_IDLE_TIMEOUT_MS', async () => {
    const { logger, lines } = recordingLogger();
    const quiet = createTestLameduck({ logger }).lameduck;
    const server = await listen((_req, res) => res.end());
    servers.push(server);
    quiet.attach(server);
    await settle();
    const warnings = () => lines.filter((l) => l.level === 'warn');
    expect(warnings()).toEqual([]);
    quiet.dispose();
    const fromEnv = createTestLameduck({
      logger,
      env: { LAMEDUCK_BALANCER_IDLE_TIMEOUT_MS: '4000' },
    }).lameduck;
    expect(fromEnv.options.balancerIdleTimeoutMs).toBe(4000);
    fromEnv.attach(server);
    await settle();
    expect(warnings()).toEqual([]); // 5000 > 4000
    fromEnv.dispose();
    expect(() => createTestLameduck({ env: { LAMEDUCK_BALANCER_IDLE_TIMEOUT_MS: '60s' } })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ENV }),
    );
  });
});

describe('no server attached', () => {
  it('warns at the first request, then on probes answered 503 for that reason, rate-limited', async () => {
    const { logger, lines } = recordingLogger();
    let now = 0;
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    };
    const { lameduck } = createTestLameduck({ logger, clock });
    // app.listen(3000) without attach(): the middleware tracks requests, readiness stays 503.
    const server = await listen((req, res) => {
      lameduck.trackRequest(req, res);
      if (req.url === '/readyz') lameduck.readinessHandler(req, res);
      else res.end('ok');
    });
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}${path}`);
      await response.text();
      return response.status;
    };
    expect(await get('/')).toBe(200);
    expect(await get('/')).toBe(200);
    const noServer = () => lines.filter((l) => l.obj.check === 'no-server').length;
    expect(noServer()).toBe(1);
    expect(await get('/readyz')).toBe(503);
    expect(noServer()).toBe(2);
    expect(await get('/readyz')).toBe(503);
    expect(noServer()).toBe(2); // within 10 s
    now += 10_000;
    expect(await get('/readyz')).toBe(503);
    expect(noServer()).toBe(3);
    expect(lines.every((l) => l.obj.code === ErrorCodes.MISUSE)).toBe(true);
    // Once attached, nothing more.
    lameduck.attach(server);
    now += 20_000;
    expect(await get('/readyz')).toBe(200);
    expect(noServer()).toBe(3);
    lameduck.dispose();
    server.close();
  });
});
