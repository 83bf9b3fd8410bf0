import { runAdapterContract } from '@lameduck/contract';
import { fastifyHarness } from './harness.js';

runAdapterContract(fastifyHarness('in front'));
runAdapterContract(fastifyHarness('routes'));
