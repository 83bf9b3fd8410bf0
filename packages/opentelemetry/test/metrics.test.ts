import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLameduck, type Lameduck } from '@lameduck/core';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { Client, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentLameduck, METRIC_NAMES, STATE_VALUES } from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  cleanups.push(() => meterProvider.shutdown());
  /** Collects now; returns the data points of each metric of the last export. */
  const collect = async () => {
    exporter.reset();
    await reader.forceFlush();
    const points = new Map<string, DataPoint<unknown>[]>();
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics)
          points.set(metric.descriptor.name, metric.dataPoints as DataPoint<unknown>[]);
      }
    }
    return points;
  };
  return { meterProvider, collect };
}

async function start(lameduck: Lameduck, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  lameduck.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const value = (points: DataPoint<unknown>[] | undefined, attributes: Record<string, string> = {}) =>
  points?.find((point) => Object.entries(attributes).every(([k, v]) => point.attributes[k] === v))?.value;

describe('@lameduck/opentelemetry with the SDK in-memory exporter', () => {
  it('records the state, in-flight and open gauges, the drain counters and the phase durations of a real drain', async () => {
    const { meterProvider, collect } = sdk();
    const lameduck = createLameduck({
      signals: false,
      exitOnStopped: false,
      env: {},
      drainDelayMs: 300,
      drainTimeoutMs: 800,
    });
    const stop = instrumentLameduck({ meterProvider, lameduck });
    cleanups.push(stop);
    const url = await start(lameduck, (req, res) => {
      if (req.url === '/hang') return; // never answered: destroyed at the drain timeout
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 200);
      else res.end('ok');
    });
    // Two keep-alive clients with a request each: two idle sockets.
    const clients = [new Client(url), new Client(url)];
    for (const client of clients) {
      cleanups.push(() => client.destroy().catch(() => {}));
      await (await client.request({ path: '/', method: 'GET' })).body.text();
    }
    const hung = new Client(url);
    cleanups.push(() => hung.destroy().catch(() => {}));
    void hung.request({ path: '/hang', method: 'GET' }).catch(() => undefined);
    await sleep(50);

    let points = await collect();
    expect(value(points.get(METRIC_NAMES.state))).toBe(STATE_VALUES.serving);
    expect(value(points.get(METRIC_NAMES.inFlight))).toBe(1);
    expect(value(points.get(METRIC_NAMES.openConnections), { 'lameduck.connection.kind': 'http' })).toBe(3);

    const result = lameduck.shutdown('test');
    await sleep(50);
    // One request while draining, on a new connection.
    const during = await request(`${url}/slow`, { reset: true });
    await during.body.text();
    points = await collect();
    expect(value(points.get(METRIC_NAMES.state))).toBe(STATE_VALUES.draining);
    const outcome = await result;
    expect(outcome.socketsDestroyed).toBe(1);

    points = await collect();
    expect(value(points.get(METRIC_NAMES.state))).toBe(STATE_VALUES.stopped);
    expect(value(points.get(METRIC_NAMES.inFlight))).toBe(0);
    expect(value(points.get(METRIC_NAMES.requestsDuringDrain))).toBe(1);
    // The two idle keep-alive sockets and the one of the request while draining.
    expect(value(points.get(METRIC_NAMES.connectionsClosed), { 'lameduck.connection.kind': 'http' })).toBe(
      outcome.socketsClosed,
    );
    expect(outcome.socketsClosed).toBe(3);
    expect(value(points.get(METRIC_NAMES.connectionsDestroyed), { 'lameduck.connection.kind': 'http' })).toBe(
      1,
    );
    const phases = points.get(METRIC_NAMES.phaseDuration) as DataPoint<Histogram>[];
    const phase = (name: string) =>
      phases.find((point) => point.attributes['lameduck.phase'] === name)?.value;
    expect(phase('draining')?.count).toBe(1);
    expect(phase('draining')?.sum).toBeGreaterThanOrEqual(290);
    expect(phase('closing')?.sum).toBeGreaterThanOrEqual(790);
    expect(phase('cleanup')?.count).toBe(1);
    const delay = phases.find((point) => point.attributes['lameduck.phase'] === 'drain_delay');
    expect(delay?.attributes['lameduck.drain_delay.ended_by']).toBe('maximum');
    expect(delay?.value.sum).toBe(outcome.drainDelay.ms);
  });

  it('after stop(), nothing is recorded any more', async () => {
    const { meterProvider, collect } = sdk();
    const lameduck = createLameduck({ signals: false, exitOnStopped: false, env: {}, drainDelayMs: 0 });
    const stop = instrumentLameduck({ meterProvider, lameduck });
    stop();
    await lameduck.shutdown('test');
    const points = await collect();
    expect(points.get(METRIC_NAMES.state)).toBeUndefined();
    expect(points.get(METRIC_NAMES.phaseDuration)).toBeUndefined();
  });
});
