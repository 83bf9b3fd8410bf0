import { testBuiltAdapter } from '@lameduck/contract';

testBuiltAdapter({
  packageDir: new URL('../', import.meta.url),
  moduleEnv: 'KOA_MODULE',
  frameworks: [
    ['koa 3', 'koa'],
    ['koa 2', 'koa2'],
  ],
});
