import { haproxyInstalled } from './support/rollout.js';
import { rolloutSuite } from './support/rollout-suite.js';

// Every example × {steady load, a long request in flight, idle keep-alive connections} behind
// HAProxy's health checks (its kube-proxy twin: rollout.test.ts).
rolloutSuite('haproxy', haproxyInstalled());
