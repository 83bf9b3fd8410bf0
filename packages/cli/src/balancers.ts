import type { BalancerFactory } from './balancer.js';
import { haproxyBalancer } from './balancer-haproxy.js';
import { kubeProxyBalancer } from './balancer-kube-proxy.js';
import type { BalancerMode } from './types.js';

/** Every balancer `--lb` can pick, one module each. */
export const BALANCERS: Readonly<Record<BalancerMode, BalancerFactory>> = Object.freeze({
  'kube-proxy': kubeProxyBalancer,
  haproxy: haproxyBalancer,
});
