import * as diagnostics from 'node:diagnostics_channel';

/**
 * The `node:diagnostics_channel` channels lameduck publishes on (public API: names and message
 * shapes are stable). Nothing is built or published when a channel has no subscriber. Every
 * message carries `lameduck`, the instance, so that a subscriber can call `stats()`.
 */
export const CHANNEL_NAMES = Object.freeze({
  /** `{ lameduck, state, previous, reason? }` on every phase change. */
  state: 'lameduck:state',
  /** `{ lameduck, endedBy: 'quiet' | 'maximum', ms }` when the drain delay ends. */
  drainDelayEnd: 'lameduck:drain-delay:end',
  /** `{ lameduck, server, role }` when a server stops accepting connections. */
  listenerClosed: 'lameduck:listener:closed',
  /** `{ lameduck, kind: 'http' }` when a connection ended while draining. */
  connectionClosed: 'lameduck:connection:closed',
  /** `{ lameduck, kind: 'http' }` when a connection was destroyed at the drain timeout. */
  connectionDestroyed: 'lameduck:connection:destroyed',
  /** `{ lameduck }` for each request that started while draining. */
  drainRequest: 'lameduck:request:draining',
  /** `{ lameduck, name }` when a cleanup hook starts. */
  hookStart: 'lameduck:hook:start',
  /** `{ lameduck, name, ok, durationMs, error? }` when a cleanup hook ended. */
  hookEnd: 'lameduck:hook:end',
  /** `{ lameduck, result }` once the sequence ended, just before exit. */
  stopped: 'lameduck:stopped',
} as const);

export type ChannelName = (typeof CHANNEL_NAMES)[keyof typeof CHANNEL_NAMES];

/** The channel objects, created once (node keeps a channel alive while we hold it). */
export const channels = Object.freeze({
  state: diagnostics.channel(CHANNEL_NAMES.state),
  drainDelayEnd: diagnostics.channel(CHANNEL_NAMES.drainDelayEnd),
  listenerClosed: diagnostics.channel(CHANNEL_NAMES.listenerClosed),
  connectionClosed: diagnostics.channel(CHANNEL_NAMES.connectionClosed),
  connectionDestroyed: diagnostics.channel(CHANNEL_NAMES.connectionDestroyed),
  drainRequest: diagnostics.channel(CHANNEL_NAMES.drainRequest),
  hookStart: diagnostics.channel(CHANNEL_NAMES.hookStart),
  hookEnd: diagnostics.channel(CHANNEL_NAMES.hookEnd),
  stopped: diagnostics.channel(CHANNEL_NAMES.stopped),
});

/** Publishes `build()` on `channel` only when someone listens: no object is built otherwise. */
export function publish(channel: diagnostics.Channel, build: () => object): void {
  if (channel.hasSubscribers) channel.publish(build());
}
