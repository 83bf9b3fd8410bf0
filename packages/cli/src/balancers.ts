import type { BalancerFactory } from './balancer.js';
import { haproxyBalancer } from './balancer-haproxy.js';
import { kubeProxyBalancer } from './balancer-kube-proxy.js';
import { nftablesBalancer } from './balancer-nftables.js';
import { nginxBalancer } from './balancer-nginx.js';
import type { BalancerMode } from './types.js';

/** Every balancer `--lb` can pick, one module each. */
export const BALANCERS: Readonly<Record<BalancerMode, BalancerFactory>> = Object.freeze({
  nftables: nftablesBalancer,
  'kube-proxy': kubeProxyBalancer,
  haproxy: haproxyBalancer,
  nginx: nginxBalancer,
});
