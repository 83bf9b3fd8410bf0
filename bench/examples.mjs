// The repo's examples as the bench starts them: the entry file and the environment it needs.
export const EXAMPLES = {
  'node-http': ['examples/node-http/server.js', {}],
  express: ['examples/express/server.js', {}],
  koa: ['examples/koa/server.js', {}],
  fastify: ['examples/fastify/server.js', {}],
  'nestjs-express': ['examples/nestjs/dist/main.js', { NEST_PLATFORM: 'express' }],
  'nestjs-fastify': ['examples/nestjs/dist/main.js', { NEST_PLATFORM: 'fastify' }],
};
