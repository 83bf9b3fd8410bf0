import { testBuiltAdapter } from '@lameduck/contract';

testBuiltAdapter({
  packageDir: new URL('../', import.meta.url),
  moduleEnv: 'EXPRESS_MODULE',
  frameworks: [
    ['express 5', 'express'],
    ['express 4', 'express4'],
  ],
});
