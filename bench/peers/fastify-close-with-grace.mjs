// Fastify with close-with-grace, as Fastify's own docs recommend: app.close() on SIGTERM within
// close-with-grace's time limit; Fastify answers 503 on kept-alive connections while closing.
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';

const app = Fastify({ keepAliveTimeout: 72_000, http: { headersTimeout: 73_000 } });
app.get('/readyz', async () => ({ ready: true }));
app.get('/', async () => ({ hello: 'world' }));
app.post('/', async (request) => request.body);
app.get('/slow', async (request) => {
  const ms = Math.min(Number(request.query.ms ?? 100) || 0, 60_000);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { waitedMs: ms };
});
closeWithGrace({ delay: 10_000 }, async () => {
  await app.close();
});
await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '0.0.0.0' });
