import { runAdapterContract } from '@lameduck/contract';
import Koa from 'koa';
import Koa2 from 'koa2';
import { koaHarness } from './harness.js';

runAdapterContract(koaHarness('koa 3', () => new Koa(), 'listen'));
runAdapterContract(koaHarness('koa 3', () => new Koa(), 'middleware'));
runAdapterContract(koaHarness('koa 2', () => new Koa2(), 'listen'));
runAdapterContract(koaHarness('koa 2', () => new Koa2(), 'middleware'));
