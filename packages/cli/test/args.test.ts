import { readFileSync } from 'node:fs';
import { ErrorCodes, LameduckError } from '@lameduck/core';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/args.js';
import { runCli } from '../src/cli.js';
import { splitCommandLine } from '../src/command-line.js';
import { resolveSimulation } from '../src/options.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LameduckError);
    return (error as LameduckError).code;
  }
  return undefined;
}

function sink() {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

describe('parseArgs', () => {
  it('takes the command after -- as argv, untouched', () => {
    const request = parseArgs(['simulate', '--replicas', '3', '--', 'node', 'server.js', '--port-from-env']);
    expect(request.kind).toBe('simulate');
    if (request.kind !== 'simulate') return;
    expect(request.options.command).toEqual(['node', 'server.js', '--port-from-env']);
    expect(request.options.replicas).toBe(3);
  });

  it('splits a single quoted command string without a shell', () => {
    const request = parseArgs(['simulate', '--', 'node "my server.js" --flag']);
    if (request.kind !== 'simulate') throw new Error('expected simulate');
    expect(request.options.command).toEqual(['node', 'my server.js', '--flag']);
  });

  it('maps every option to the programmatic API', () => {
    const request = parseArgs([
      'simulate',
      '--lb=haproxy',
      '--lag-ms',
      '800',
      '--grace-period',
      '20',
      '--prestop-sleep',
      '3',
      '--replace',
      '--connections',
      '4',
      '--rate',
      '50.5',
      '--new-connection-rate',
      '0',
      '--slow-ratio',
      '0.5',
      '--slow-ms',
      '200',
      '--idle',
      '--long-request-ms',
      '4000',
      '--env',
      'A=1',
      '--env',
      'B=x=y',
      '--drain-delay-ms',
      '2500',
      '--json',
      '--',
      'node',
      'server.js',
    ]);
    if (request.kind !== 'simulate') throw new Error('expected simulate');
    expect(request.options).toMatchObject({
      lb: 'haproxy',
      lagMs: 800,
      gracePeriodSeconds: 20,
      preStop: { sleepSeconds: 3 },
      replace: true,
      connections: 4,
      rate: 50.5,
      newConnectionRate: 0,
      slowRatio: 0.5,
      slowMs: 200,
      load: 'idle',
      longRequestMs: 4000,
      env: { A: '1', B: 'x=y' },
    });
    expect(request.drainDelayMs).toBe(2500);
    expect(request.json).toBe(true);
  });

  it('accepts --example without a command', () => {
    const request = parseArgs(['simulate', '--example', 'express']);
    if (request.kind !== 'simulate') throw new Error('expected simulate');
    expect(request.example).toBe('express');
    expect(request.options.command).toBeUndefined();
  });

  it('answers --help', () => {
    expect(parseArgs(['simulate', '--help']).kind).toBe('help');
    expect(parseArgs(['--help']).kind).toBe('help');
  });

  it.each([
    ['no command at all', []],
    ['unknown subcommand', ['simulte', '--', 'node', 'a.js']],
    ['no replica command', ['simulate']],
    ['unknown option', ['simulate', '--replica', '2', '--', 'node', 'a.js']],
    ['missing value', ['simulate', '--rate']],
    ['value that is not a number', ['simulate', '--rate', 'fast', '--', 'node', 'a.js']],
    ['negative number', ['simulate', '--lag-ms', '-5', '--', 'node', 'a.js']],
    ['fraction for a whole number', ['simulate', '--replicas', '1.5', '--', 'node', 'a.js']],
    ['bad balancer', ['simulate', '--lb', 'envoy', '--', 'node', 'a.js']],
    ['bad protocol', ['simulate', '--protocol', 'h3', '--', 'node', 'a.js']],
    [
      'two preStop handlers',
      ['simulate', '--prestop-sleep', '1', '--prestop-http', '/pre', '--', 'node', 'a.js'],
    ],
    ['slow ratio above 1', ['simulate', '--slow-ratio', '2', '--', 'node', 'a.js']],
    ['stray positional', ['simulate', 'node', 'a.js']],
    ['example and command', ['simulate', '--example', 'express', '--', 'node', 'a.js']],
    ['bad --env', ['simulate', '--env', 'NOVALUE', '--', 'node', 'a.js']],
    ['option given twice', ['simulate', '--rate', '1', '--rate', '2', '--', 'node', 'a.js']],
    ['flag with a value', ['simulate', '--json=yes', '--', 'node', 'a.js']],
    ['shell operator', ['simulate', '--', 'npm start && echo done']],
  ])('rejects %s with LAMEDUCK_INVALID_OPTION', (_name, argv) => {
    expect(codeOf(() => parseArgs(argv))).toBe(ErrorCodes.INVALID_OPTION);
  });
});

describe('resolveSimulation', () => {
  it('fills every default and leaves the caller object alone', () => {
    const options = { command: ['node', 'a.js'] };
    const resolved = resolveSimulation(options);
    // nftables where this machine can run it, the user-space kube-proxy otherwise, and the report says why.
    expect(resolved).toMatchObject({ replicas: 2, lagMs: 1000, gracePeriodSeconds: 30 });
    expect(['nftables', 'kube-proxy']).toContain(resolved.lb);
    expect(resolved.lbNote === undefined).toBe(resolved.lb === 'nftables');
    expect(options).toEqual({ command: ['node', 'a.js'] });
  });

  it('takes --protocol h2 (HTTP/2 cleartext streams) and defaults to http', () => {
    const request = parseArgs(['simulate', '--protocol', 'h2', '--lb', 'kube-proxy', '--', 'node', 'a.js']);
    if (request.kind !== 'simulate') throw new Error('expected simulate');
    expect(request.options).toMatchObject({ protocol: 'h2', lb: 'kube-proxy' });
    expect(resolveSimulation({ command: ['node', 'a.js'], protocol: 'h2' }).protocol).toBe('h2');
    expect(resolveSimulation({ command: ['node'] }).protocol).toBe('http');
  });

  it('has no deregistration lag by default in haproxy mode', () => {
    expect(resolveSimulation({ command: ['node'], lb: 'haproxy' }).lagMs).toBeNull();
  });

  it.each([
    ['empty command', { command: [] }],
    ['zero replicas', { command: ['node'], replicas: 0 }],
    [
      'preStop sleep longer than the grace period',
      { command: ['node'], gracePeriodSeconds: 5, preStop: { sleepSeconds: 6 } },
    ],
    ['relative readiness path', { command: ['node'], readinessPath: 'readyz' }],
    ['unknown load', { command: ['node'], load: 'bursty' }],
    ['unknown protocol', { command: ['node'], protocol: 'spdy' }],
    ['h2 through HAProxy (it would terminate HTTP/2)', { command: ['node'], protocol: 'h2', lb: 'haproxy' }],
    ['h2 with the HTTP/1.1 long request', { command: ['node'], protocol: 'h2', longRequestMs: 1000 }],
  ])('rejects %s', (_name, options) => {
    expect(codeOf(() => resolveSimulation(options as never))).toBe(ErrorCodes.INVALID_OPTION);
  });
});

describe('splitCommandLine', () => {
  it('handles quotes and escapes', () => {
    expect(splitCommandLine(`node 'a b.js' "c \\"d\\"" e\\ f`)).toEqual(['node', 'a b.js', 'c "d"', 'e f']);
  });

  it('rejects an unclosed quote', () => {
    expect(codeOf(() => splitCommandLine('node "a.js'))).toBe(ErrorCodes.INVALID_OPTION);
  });
});

describe('runCli', () => {
  it('exits 2 with a message on stderr for bad arguments, and starts nothing', async () => {
    const stdout = sink();
    const stderr = sink();
    const code = await runCli(['simulate', '--connections', 'many', '--', 'node', 'a.js'], {
      stdout,
      stderr,
      cwd: process.cwd(),
    });
    expect(code).toBe(2);
    expect(stderr.text).not.toBe('');
    expect(stdout.text).toBe('');
  });

  it('exits 2 for an out-of-range value caught by the API validation', async () => {
    const stderr = sink();
    const code = await runCli(['simulate', '--replicas', '0', '--', 'node', 'a.js'], {
      stdout: sink(),
      stderr,
      cwd: process.cwd(),
    });
    expect(code).toBe(2);
    expect(stderr.text).not.toBe('');
  });

  it('exits 2 for an unknown example', async () => {
    const code = await runCli(['simulate', '--example', 'rails'], {
      stdout: sink(),
      stderr: sink(),
      cwd: process.cwd(),
    });
    expect(code).toBe(2);
  });

  it.each(['--version', '-v'])('%s prints the package version on stdout, exit 0', async (flag) => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const stdout = sink();
    const stderr = sink();
    expect(await runCli([flag], { stdout, stderr, cwd: process.cwd() })).toBe(0);
    expect(stdout.text).toBe(`${version}\n`);
    expect(stderr.text).toBe('');
  });

  it('prints help on stdout with exit 0', async () => {
    const stdout = sink();
    const code = await runCli(['simulate', '--help'], { stdout, stderr: sink(), cwd: process.cwd() });
    expect(code).toBe(0);
    expect(stdout.text).toContain('lameduck simulate');
  });
});
