import { runAdapterContract } from '@lameduck/contract';
import express from 'express';
import express4 from 'express4';
import { expressHarness } from './harness.js';

runAdapterContract(expressHarness('express 5', () => express()));
runAdapterContract(expressHarness('express 4', () => express4()));
