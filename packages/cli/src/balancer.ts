import type { ResolvedSimulation } from './options.js';
import type { ProcessRegistry, Replica } from './replicas.js';
import type { Timeline } from './timeline.js';
import type { BalancerStats } from './types.js';

/**
 * The balancer in front of the replicas, whichever kind it is. Each kind is one module
 * (`balancer-<mode>.ts`) exporting a {@link BalancerFactory}; {@link BALANCERS} lists them.
 */
export interface Balancer {
  /** Where clients connect. */
  readonly host: string;
  readonly port: number;
  /** One line for the progress output. */
  readonly description: string;
  /** Headers that steer a request to `pod` (HAProxy), or none (kube-proxy routes connections). */
  pinHeaders(pod: string): Record<string, string>;
  /** The pod a client connection is routed to, by the client's local port; undefined when the balancer cannot tell. */
  podOf(clientPort: number): Promise<string | undefined>;
  /** A new ready endpoint (the replacement). */
  add(pod: Replica): Promise<void>;
  /** The pod was deleted (the balancer may note its counters, to tell what came after). */
  deleted?(pod: string): Promise<void>;
  /** The endpoint path caught up with the deletion: no new connections (kube-proxy) or deregistration (HAProxy). */
  remove(pod: string): Promise<void>;
  /**
   * The terminating pod's `serving` condition turned false (its readiness probe failed and the
   * change reached the balancer). Only balancers that model the terminating-endpoint fallback use it.
   */
  notServing?(pod: string): Promise<void>;
  /** Statistics; `deletedAt` splits connections before and after the deletion. */
  stats(deletedAt: number): Promise<BalancerStats>;
  /** Stops the balancer and every process it started. */
  close(): Promise<void>;
}

/** What a balancer gets to start. */
export interface BalancerContext {
  readonly settings: ResolvedSimulation;
  /** The replicas serving before the deletion. */
  readonly replicas: readonly Replica[];
  /** Name and address of the replacement replica, when `--replace` starts one later. */
  readonly replacement: { readonly name: string; readonly host: string; readonly port: number } | undefined;
  readonly registry: ProcessRegistry;
  readonly timeline: Timeline;
  /** The pod that is (or will be) deleted. */
  readonly victim: () => string;
}

export type BalancerFactory = (context: BalancerContext) => Promise<Balancer>;
