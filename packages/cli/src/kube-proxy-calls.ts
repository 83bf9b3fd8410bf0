import { Worker } from 'node:worker_threads';
import { builtScript } from './built-script.js';
import { setupError } from './replicas.js';

/** What the simulator asks the kube-proxy thread (kube-proxy-thread.ts), one call per message. */
export type KubeProxyCall = { readonly id: number } & KubeProxyRequest;

export type KubeProxyRequest =
  | { readonly op: 'listen' }
  | { readonly op: 'add'; readonly name: string; readonly port: number }
  | { readonly op: 'remove'; readonly name: string }
  | { readonly op: 'routed'; readonly clientPort: number }
  | { readonly op: 'stats'; readonly sinceEpochMs: number }
  | { readonly op: 'close' };

/** The thread's answer to the call with the same id. */
export interface KubeProxyReply {
  readonly id: number;
  readonly value?: unknown;
  readonly error?: string;
}

/**
 * The user-space kube-proxy, running on a thread of its own: its forwarding never waits for the
 * simulator's event loop (the load's clients, the prober), as the kernel's never waits for a
 * client. On one shared loop, a request written while that loop was busy sat in the proxy,
 * which widened the window in which a pod closing an idle keep-alive connection meets a request
 * on its way to it, far beyond what kube-proxy's DNAT leaves.
 */
export class KubeProxyThread {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(builtScript('kube-proxy-thread.js', '--lb kube-proxy'));
    this.worker.on('message', (reply: KubeProxyReply) => {
      const waiter = this.waiting.get(reply.id);
      if (waiter === undefined) return;
      this.waiting.delete(reply.id);
      if (reply.error === undefined) waiter.resolve(reply.value);
      else waiter.reject(setupError(`kube-proxy balancer: ${reply.error}`));
    });
    const fail = (error: Error) => {
      this.failure = setupError(`kube-proxy balancer thread stopped (${error.message})`);
      for (const waiter of this.waiting.values()) waiter.reject(this.failure);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  call<T>(request: KubeProxyRequest): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, ...request } satisfies KubeProxyCall);
    });
  }

  /** Closes the balancer's listeners and connections, then the thread. */
  async close(): Promise<void> {
    await this.call({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}
