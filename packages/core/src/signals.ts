import type { SignalSource } from './types.js';

/** Listens for `signals` on `source`; returns the function that removes the listeners. */
export function listenForSignals(
  source: SignalSource,
  signals: readonly NodeJS.Signals[],
  onSignal: (signal: NodeJS.Signals) => void,
): () => void {
  const listener = (signal: NodeJS.Signals) => onSignal(signal);
  for (const signal of signals) source.on(signal, listener);
  return () => {
    for (const signal of signals) source.removeListener(signal, listener);
  };
}
