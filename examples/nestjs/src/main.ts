// Run as `node dist/main.js` (never through npm or a shell, so that SIGTERM reaches node).
import type { Server } from 'node:http';
import { createApp, platformFromEnv, webSocketsFromEnv } from './app';

async function bootstrap(): Promise<void> {
  const app = await createApp(platformFromEnv(), webSocketsFromEnv());
  const server: Server = app.getHttpServer();
  // Keep idle keep-alive sockets open longer than proxies and load balancers do (60 s), and
  // headersTimeout above keepAliveTimeout, or the proxy reuses a socket node just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await app.listen(Number(process.env.PORT || 3000), process.env.HOST || '0.0.0.0');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : null;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
