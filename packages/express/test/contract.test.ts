import { runAdapterContract } from '@lameduck/contract';
import express from 'express';
import express4 from 'express4';
import { expressHarness } from './harness.js';

runAdapterContract(expressHarness('express 5', () => express(), 'listen'));
runAdapterContract(expressHarness('express 5', () => express(), 'middleware'));
runAdapterContract(expressHarness('express 4', () => express4(), 'listen'));
runAdapterContract(expressHarness('express 4', () => express4(), 'middleware'));
