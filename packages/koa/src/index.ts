export * from '@lameduck/core';
export { listen } from './listen.js';
export { type LameduckMiddlewareOptions, lameduckMiddleware } from './middleware.js';
