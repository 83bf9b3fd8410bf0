import { runAdapterContract } from '@lameduck/contract';
import { nestHarness } from './harness.js';
import { platforms } from './utils/platforms.js';

for (const platform of platforms) runAdapterContract(nestHarness(platform));
