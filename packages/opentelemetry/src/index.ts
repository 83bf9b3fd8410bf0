import * as diagnostics from 'node:diagnostics_channel';
import { CHANNEL_NAMES, type Lameduck, type State } from '@lameduck/core';
import { type Attributes, type MeterProvider, metrics, type ObservableResult } from '@opentelemetry/api';

/** The phases in order; the `lameduck.state` gauge reports a state as its index here. */
export const STATE_VALUES: Readonly<Record<State, number>> = Object.freeze({
  starting: 0,
  serving: 1,
  draining: 2,
  closing: 3,
  cleanup: 4,
  stopped: 5,
});

/** The instrument names, public and stable. */
export const METRIC_NAMES = Object.freeze({
  state: 'lameduck.state',
  inFlight: 'lameduck.requests.in_flight',
  openConnections: 'lameduck.connections.open',
  connectionsClosed: 'lameduck.connections.closed',
  connectionsDestroyed: 'lameduck.connections.destroyed',
  requestsDuringDrain: 'lameduck.requests.during_drain',
  phaseDuration: 'lameduck.phase.duration',
} as const);

export interface LameduckMetricsOptions {
  /** Where the instruments are created. @default the global meter provider */
  readonly meterProvider?: MeterProvider;
  /**
   * Instances to observe from now on. Instances that publish on lameduck's channels are added
   * by themselves the first time they do (at their first phase change).
   */
  readonly lameduck?: Lameduck | readonly Lameduck[];
}

interface InstanceState {
  readonly lameduck: Lameduck;
  /** When the current phase began (performance.now()). */
  phaseStartedAt: number;
}

const SCOPE = '@lameduck/opentelemetry';
const TIMED_PHASES: ReadonlySet<State> = new Set(['draining', 'closing', 'cleanup']);

/**
 * Records lameduck's metrics through `@opentelemetry/api`, from the `lameduck:*` diagnostics
 * channels and `stats()`: gauges for the state, requests in flight and open connections by kind;
 * counters for connections closed and destroyed and requests served while draining; a
 * histogram of phase durations (draining, closing, cleanup, and the drain delay with what ended
 * it). Returns a function that unsubscribes and stops observing.
 *
 * @example
 * const stop = instrumentLameduck({ lameduck }); // uses the global MeterProvider
 */
export function instrumentLameduck(options: LameduckMetricsOptions = {}): () => void {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const instances = new Map<Lameduck, InstanceState>();
  const observe = (lameduck: Lameduck): InstanceState => {
    let entry = instances.get(lameduck);
    if (entry === undefined) {
      entry = { lameduck, phaseStartedAt: performance.now() };
      instances.set(lameduck, entry);
    }
    return entry;
  };
  const given = options.lameduck;
  if (given !== undefined) for (const lameduck of Array.isArray(given) ? given : [given]) observe(lameduck);

  const state = meter.createObservableGauge(METRIC_NAMES.state, {
    description:
      'The phase of the shutdown sequence: 0 starting, 1 serving, 2 draining, 3 closing, 4 cleanup, 5 stopped',
  });
  const inFlight = meter.createObservableGauge(METRIC_NAMES.inFlight, {
    description: 'HTTP requests whose response has not closed yet',
    unit: '{request}',
  });
  const open = meter.createObservableGauge(METRIC_NAMES.openConnections, {
    description: 'Open connections by kind (http, admin, h2_session, websocket)',
    unit: '{connection}',
  });
  const observeAll = (
    result: ObservableResult,
    read: (lameduck: Lameduck, result: ObservableResult) => void,
  ) => {
    for (const { lameduck } of instances.values()) read(lameduck, result);
  };
  const stateCallback = (result: ObservableResult) =>
    observeAll(result, (lameduck, r) => r.observe(STATE_VALUES[lameduck.state]));
  const inFlightCallback = (result: ObservableResult) =>
    observeAll(result, (lameduck, r) => r.observe(lameduck.stats().inFlight));
  const openCallback = (result: ObservableResult) =>
    observeAll(result, (lameduck, r) => {
      const counts = lameduck.stats().open;
      r.observe(counts.http, { 'lameduck.connection.kind': 'http' });
      r.observe(counts.admin, { 'lameduck.connection.kind': 'admin' });
      r.observe(counts.h2Sessions, { 'lameduck.connection.kind': 'h2_session' });
      r.observe(counts.webSockets, { 'lameduck.connection.kind': 'websocket' });
    });
  state.addCallback(stateCallback);
  inFlight.addCallback(inFlightCallback);
  open.addCallback(openCallback);

  const closed = meter.createCounter(METRIC_NAMES.connectionsClosed, {
    description: 'Connections that ended while draining',
    unit: '{connection}',
  });
  const destroyed = meter.createCounter(METRIC_NAMES.connectionsDestroyed, {
    description: 'Connections destroyed at the drain timeout',
    unit: '{connection}',
  });
  const requests = meter.createCounter(METRIC_NAMES.requestsDuringDrain, {
    description: 'Requests that started while draining (all served)',
    unit: '{request}',
  });
  const phases = meter.createHistogram(METRIC_NAMES.phaseDuration, {
    description: 'How long each phase of the shutdown sequence took, and the drain delay',
    unit: 'ms',
  });

  type Message = { lameduck: Lameduck } & Record<string, unknown>;
  const handlers: Array<[string, (message: Message) => void]> = [
    [
      CHANNEL_NAMES.state,
      (message) => {
        const entry = observe(message.lameduck);
        const now = performance.now();
        const previous = message.previous as State;
        if (TIMED_PHASES.has(previous)) {
          phases.record(now - entry.phaseStartedAt, { 'lameduck.phase': previous });
        }
        entry.phaseStartedAt = now;
      },
    ],
    [
      CHANNEL_NAMES.drainDelayEnd,
      (message) => {
        observe(message.lameduck);
        const attributes: Attributes = {
          'lameduck.phase': 'drain_delay',
          'lameduck.drain_delay.ended_by': String(message.endedBy),
        };
        phases.record(Number(message.ms), attributes);
      },
    ],
    [
      CHANNEL_NAMES.connectionClosed,
      (message) => {
        observe(message.lameduck);
        closed.add(1, { 'lameduck.connection.kind': String(message.kind) });
      },
    ],
    [
      CHANNEL_NAMES.connectionDestroyed,
      (message) => {
        observe(message.lameduck);
        destroyed.add(1, { 'lameduck.connection.kind': String(message.kind) });
      },
    ],
    [
      CHANNEL_NAMES.drainRequest,
      (message) => {
        observe(message.lameduck);
        requests.add(1);
      },
    ],
  ];
  const subscriptions = handlers.map(([name, handler]) => {
    const listener = (message: unknown) => handler(message as Message);
    diagnostics.subscribe(name, listener);
    return () => diagnostics.unsubscribe(name, listener);
  });

  return () => {
    for (const unsubscribe of subscriptions) unsubscribe();
    state.removeCallback(stateCallback);
    inFlight.removeCallback(inFlightCallback);
    open.removeCallback(openCallback);
    instances.clear();
  };
}
