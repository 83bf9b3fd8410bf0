import { describe, expect, it } from 'vitest';
import { haproxyConfig, haproxyStats, parseServerState } from '../src/balancer-haproxy.js';
import { createProgress } from '../src/progress.js';
import { buildProblems, earlyCloseHint, formatReport } from '../src/report.js';
import { classifyFailure, type RequestRecord, statusFailure, summarizeRequests } from '../src/requests.js';
import type { SimulationReport, TimelineEvent } from '../src/types.js';

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return { startedAt: 0, durationMs: 10, slow: false, status: 200, connectionClose: false, ...overrides };
}

function report(overrides: Partial<SimulationReport> = {}): SimulationReport {
  const requests = summarizeRequests([
    record(),
    record({ connectionClose: true }),
    record({ slow: true, durationMs: 300 }),
  ]);
  return {
    ok: true,
    problems: [],
    command: ['node', 'server.js'],
    settings: {
      lb: 'kube-proxy',
      lbNote: null,
      slowPath: '/slow',
      method: 'GET',
      thinkMs: 0,
      replicas: 2,
      lagMs: 1000,
      gracePeriodSeconds: 30,
      preStop: 'none',
      replace: false,
      load: 'steady',
      protocol: 'http',
      connections: 8,
      rate: 100,
      newConnectionRate: 10,
      slowRatio: 0.2,
      slowMs: 300,
      longRequestMs: null,
    },
    timeline: [
      { atMs: 0, kind: 'deleted', detail: 'pod-1' },
      { atMs: 1, kind: 'sigterm', detail: 'to pid 42' },
      { atMs: 1000, kind: 'endpoint-removed', detail: '' },
      { atMs: 3012, kind: 'exited', detail: 'code 0' },
    ],
    requests,
    requestsDuringTermination: { ok: 2, failed: 0 },
    pod: {
      name: 'pod-1',
      pid: 42,
      port: 1234,
      exitCode: 0,
      signal: null,
      killed: false,
      exitAfterSigtermMs: 3011,
      exitAfterDeletionMs: 3012,
      isolation: 'pid-namespace',
      sigtermTo: { pid: 42, name: 'node', commandLine: 'node server.js' },
      leftBehind: [],
    },
    longRequest: null,
    balancer: {
      connections: { 'pod-1': 5, 'pod-2': 6 },
      refusedByPod: {},
      connectionsAfterDeletion: { 'pod-1': 2 },
      afterRemoval: { 'pod-1': { open: 1, bytesFromPod: 153 } },
    },
    processesKilledAtEnd: 1,
    durationMs: 5000,
    ...overrides,
  };
}

describe('classifyFailure', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'refused'],
    [{ code: 'ECONNRESET', message: 'read ECONNRESET' }, 'reset'],
    [{ code: 'UND_ERR_SOCKET', message: 'other side closed', cause: { code: 'ECONNRESET' } }, 'reset'],
    [{ code: 'UND_ERR_SOCKET', message: 'other side closed' }, 'closed'],
    [{ code: 'UND_ERR_SOCKET', message: 'other side closed', socket: { bytesRead: 0 } }, 'closed'],
    [{ code: 'UND_ERR_SOCKET', message: 'other side closed', socket: { bytesRead: 40 } }, 'idleClose'],
    [{ message: 'socket hang up' }, 'closed'],
    [{ code: 'UND_ERR_HEADERS_TIMEOUT', message: 'Headers Timeout Error' }, 'timeout'],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT', message: 'Connect Timeout Error' }, 'timeout'],
    [{ code: 'EWHATEVER', message: 'odd' }, 'other'],
  ])('%o is %s', (error, expected) => {
    expect(classifyFailure(error).failure).toBe(expected);
  });

  it('sorts statuses: 2xx ok, 5xx, the rest other', () => {
    expect(statusFailure(204)).toBeUndefined();
    expect(statusFailure(502)).toBe('status5xx');
    expect(statusFailure(404)).toBe('other');
  });
});

describe('summarizeRequests', () => {
  it('counts ok, failures per class, Connection: close and latency', () => {
    const stats = summarizeRequests([
      record({ durationMs: 1 }),
      record({ durationMs: 2, connectionClose: true }),
      record({ durationMs: 3, status: 503, failure: 'status5xx', error: 'HTTP 503' }),
      record({ durationMs: 400, slow: true, status: undefined, failure: 'reset', error: 'ECONNRESET' }),
    ]);
    expect(stats).toMatchObject({ total: 4, ok: 2, failed: 2, connectionClose: 1, slow: 1 });
    expect(stats.failures).toEqual({
      refused: 0,
      reset: 1,
      closed: 0,
      idleClose: 0,
      status5xx: 1,
      balancer5xx: 0,
      timeout: 0,
      other: 0,
    });
    expect(stats.latencyMs.max).toBe(400);
    expect(stats.errorSamples).toEqual(['HTTP 503', 'ECONNRESET']);
  });
});

describe('buildProblems', () => {
  it('is empty for a clean run', () => {
    expect(buildProblems(summarizeRequests([record()]), { name: 'pod-1', killed: false }, null)).toEqual([]);
  });

  it('names failed requests, SIGKILL and a failed long request', () => {
    const problems = buildProblems(
      summarizeRequests([record({ failure: 'refused', error: 'ECONNREFUSED' })]),
      { name: 'pod-1', killed: true },
      { ms: 4000, ok: false, durationMs: 100, failure: 'closed', error: 'other side closed' },
    );
    expect(problems).toHaveLength(3);
  });

  it('names the idle-close race and what avoids it', () => {
    const problems = buildProblems(
      summarizeRequests([record(), record({ failure: 'idleClose', error: 'other side closed' })]),
      { name: 'pod-1', killed: false },
      null,
    );
    expect(problems[0]).toBe('1 of 2 requests failed (idle-close race 1)');
    expect(problems[1]).toMatch(/^idle-close race: pod-1 closed idle keep-alive connections while/);
    expect(problems[1]).toContain('LAMEDUCK_DRAIN_QUIET_MS');
    expect(problems).toHaveLength(2);
  });
});

describe('earlyCloseHint', () => {
  const at = (atMs: number, kind: TimelineEvent['kind']): TimelineEvent => ({ atMs, kind, detail: '' });

  it('names a listener closed before the endpoint was removed', () => {
    const hint = earlyCloseHint('pod-1', [
      at(0, 'deleted'),
      at(17, 'listener-closed'),
      at(1001, 'endpoint-removed'),
    ]);
    expect(hint).toContain('pod-1 stopped accepting connections 17 ms after the deletion');
    expect(hint).toContain('(1001 ms)');
    expect(hint).toContain('--drain-delay-ms');
  });

  it('names a listener closed before HAProxy marked the pod down, or before any removal', () => {
    expect(earlyCloseHint('pod-1', [at(5, 'listener-closed'), at(900, 'balancer-marked-down')])).toContain(
      '(900 ms)',
    );
    expect(earlyCloseHint('pod-1', [at(5, 'listener-closed')])).toContain(
      'before the balancer stopped routing',
    );
  });

  it('counts an exit before the listener was seen closed', () => {
    expect(earlyCloseHint('pod-1', [at(11, 'exited'), at(1001, 'endpoint-removed')])).toContain(
      '11 ms after',
    );
  });

  it('says nothing when the listener closed after the removal, or never', () => {
    expect(
      earlyCloseHint('pod-1', [at(1001, 'endpoint-removed'), at(3007, 'listener-closed')]),
    ).toBeUndefined();
    expect(earlyCloseHint('pod-1', [at(1001, 'endpoint-removed')])).toBeUndefined();
  });
});

describe('formatReport', () => {
  it('shows settings, the timeline, request classes, the pod and PASS', () => {
    const text = formatReport(report());
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^lameduck simulate: kube-proxy, 2 replicas, lag 1000 ms/);
    expect(lines).toContain('timeline (ms from deletion)');
    expect(text).toMatch(/^\s+0 {2}pod deleted {2}pod-1$/m);
    expect(text).toMatch(/^\s+3012 {2}exited {2}code 0$/m);
    expect(text).toContain('3 ok, 0 failed of 3');
    expect(text).toContain('1 response carried Connection: close');
    expect(text).toContain(
      'refused 0 · reset 0 · hang-up/closed 0 · idle-close race 0 · 5xx from the app 0 · 5xx from the balancer 0 · timeout 0 · other 0',
    );
    expect(text).toContain('exit code 0, 3011 ms after SIGTERM');
    expect(text).toContain('no SIGKILL needed');
    expect(text).toContain(
      'pod-1: 1 connection still open when its endpoint was removed; conntrack kept it (153 bytes came back on it)',
    );
    expect(lines.at(-1)).toMatch(/^PASS/);
  });

  it('puts counts of one in the singular, other counts in the plural', () => {
    const base = report();
    const one = formatReport(
      report({
        settings: { ...base.settings, replicas: 1, connections: 1 },
        requests: summarizeRequests([record(), record()]),
        balancer: { ...base.balancer, afterRemoval: { 'pod-1': { open: 2, bytesFromPod: 1 } } },
      }),
    );
    expect(one).toMatch(/^lameduck simulate: kube-proxy, 1 replica, lag 1000 ms/);
    expect(one).toContain('100 req/s over 1 keep-alive connection, 20% slow');
    expect(one).toContain('0 responses carried Connection: close');
    expect(one).toContain(
      'pod-1: 2 connections still open when its endpoint was removed; conntrack kept them (1 byte came back on them)',
    );
    const failed = summarizeRequests([record({ failure: 'refused', error: 'ECONNREFUSED' })]);
    expect(buildProblems(failed, { name: 'pod-1', killed: false }, null)[0]).toMatch(
      /^1 of 1 request failed \(/,
    );
  });

  it('lists every problem under FAIL', () => {
    const text = formatReport(
      report({
        ok: false,
        problems: ['2 of 10 requests failed (refused 2)', 'pod-1 did not exit within the grace period'],
      }),
    );
    const lines = text.split('\n');
    expect(lines.at(-3)).toBe('FAIL');
    expect(lines.at(-2)).toBe('  - 2 of 10 requests failed (refused 2)');
  });

  it('is JSON-serialisable as is (for --json)', () => {
    const value = report();
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });
});

describe('HAProxy', () => {
  it('generates a health-checking http config with the runtime API', () => {
    const config = haproxyConfig({
      frontendPort: 8080,
      adminSocket: '/tmp/x/admin.sock',
      readinessPath: '/readyz',
      timeoutMs: 20_000,
      servers: [
        { name: 'pod-1', port: 3001, enabled: true },
        { name: 'pod-3', port: 3003, enabled: false },
      ],
    });
    for (const line of [
      'mode http',
      'option http-keep-alive',
      'http-reuse safe',
      'option httpchk GET /readyz',
      'http-check expect status 200',
      'default-server inter 500 fall 2 rise 2',
      'stats socket /tmp/x/admin.sock mode 600 level admin',
      'bind 127.0.0.1:8080',
      'server pod-1 127.0.0.1:3001 check',
      'server pod-3 127.0.0.1:3003 check disabled',
    ]) {
      expect(config.split('\n').map((l) => l.trim())).toContain(line);
    }
  });

  it('reads server state changes from its log', () => {
    expect(
      parseServerState(
        '[WARNING]  (8352) : Server pods/pod-1 is DOWN, reason: Layer7 wrong status, code: 503, check duration: 1ms.',
      ),
    ).toEqual({ server: 'pod-1', state: 'DOWN', detail: 'Layer7 wrong status' });
    expect(parseServerState('[WARNING] Server pods/pod-2 is UP, reason: Layer7 check passed')?.state).toBe(
      'UP',
    );
    expect(parseServerState('[NOTICE] haproxy version is 2.6.12')).toBeUndefined();
  });

  it('reads sessions per server from show stat', () => {
    const csv = [
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin',
      'lameduck,FRONTEND,,,0,1,,12,0',
      'pods,pod-1,0,0,0,1,,5,0',
      'pods,pod-2,0,0,0,1,,7,0',
      'pods,BACKEND,0,0,0,1,,12,0',
    ].join('\n');
    expect(haproxyStats(csv).connections).toEqual({ 'pod-1': 5, 'pod-2': 7 });
  });
});

describe('progress', () => {
  function sink(isTTY: boolean) {
    let text = '';
    return {
      isTTY,
      write(chunk: string) {
        text += chunk;
        return true;
      },
      get text() {
        return text;
      },
    };
  }

  it('writes plain lines when not on a TTY, counts at most once a second', () => {
    const out = sink(false);
    const progress = createProgress(out, { verbose: false });
    progress.onProgress({ kind: 'status', message: 'starting' });
    for (const elapsedMs of [250, 500, 1250, 1500]) {
      progress.onProgress({ kind: 'tick', elapsedMs, ok: 1, failed: 0, inFlight: 0, phase: 'serving' });
    }
    progress.onProgress({ kind: 'event', event: { atMs: 0, kind: 'sigterm', detail: 'to pid 1' } });
    progress.done();
    expect(out.text).not.toContain('\r');
    expect(out.text.trimEnd().split('\n')).toHaveLength(4);
  });

  it('rewrites one live line on a TTY and clears it at the end', () => {
    const out = sink(true);
    const progress = createProgress(out, { verbose: false });
    progress.onProgress({ kind: 'tick', elapsedMs: 250, ok: 1, failed: 0, inFlight: 2, phase: 'serving' });
    progress.onProgress({ kind: 'tick', elapsedMs: 500, ok: 5, failed: 0, inFlight: 2, phase: 'draining' });
    expect(out.text.split('\r\x1b[2K')).toHaveLength(3);
    expect(out.text).not.toContain('\n');
    progress.done();
    expect(out.text.endsWith('\r\x1b[2K')).toBe(true);
  });
});
