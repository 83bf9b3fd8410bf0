import type { SignalSource } from './types.js';

/** Listens for `signals` on `source`; returns the function that removes the listeners. */
export function listenForSignals(
  source: SignalSource,
  signals: readonly NodeJS.Signals[],
  onSignal: (signal: NodeJS.Signals) => void,
): () => void {
  // One listener per signal that knows its own name: an emitter need not pass it along.
  const listeners = signals.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, listener] of listeners) source.on(signal, listener);
  return () => {
    for (const [signal, listener] of listeners) source.removeListener(signal, listener);
  };
}
