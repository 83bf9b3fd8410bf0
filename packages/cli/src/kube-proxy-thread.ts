import { parentPort } from 'node:worker_threads';
import { KubeProxyBalancer } from './balancer-kube-proxy.js';
import type { KubeProxyCall, KubeProxyReply } from './kube-proxy-calls.js';

// The user-space kube-proxy's own thread: it forwards bytes on an event loop of its own, as the
// kernel does, so the simulator's load, prober and report never hold a request in the proxy.

const port = parentPort;
if (port === null) throw new Error('kube-proxy-thread runs as a worker thread only');

const balancer = new KubeProxyBalancer();

async function answer(call: KubeProxyCall): Promise<unknown> {
  switch (call.op) {
    case 'listen':
      return balancer.listen();
    case 'add':
      return balancer.addEndpoint(call.name, call.port);
    case 'remove':
      return balancer.removeEndpoint(call.name);
    case 'routed':
      return balancer.whenRouted(call.clientPort);
    case 'stats':
      // performance.now() counts from each thread's own start: the caller sends an absolute time.
      return balancer.stats(call.sinceEpochMs - performance.timeOrigin);
    case 'close':
      return balancer.close();
  }
}

port.on('message', (call: KubeProxyCall) => {
  answer(call).then(
    (value) => port.postMessage({ id: call.id, value } satisfies KubeProxyReply),
    (error: unknown) =>
      port.postMessage({
        id: call.id,
        error: String((error as Error)?.message ?? error),
      } satisfies KubeProxyReply),
  );
});
