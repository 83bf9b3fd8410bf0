import { rolloutSuite } from './support/rollout-suite.js';

// Every example × {steady load, a long request in flight, idle keep-alive connections} behind the
// kube-proxy balancer (its HAProxy twin: rollout-haproxy.test.ts).
rolloutSuite('kube-proxy');
