// The contract against the reference wiring: a plain node http server with core's own probe
// router and attach(). If this fails, the suite or core is wrong, not an adapter.
import * as http from 'node:http';
import { createLameduck, createProbeRouter } from '@lameduck/core';
import { WebSocketServer } from 'ws';
import { echoMessages, runAdapterContract, serveEvents } from '../src/index.js';

runAdapterContract({
  name: 'node:http (core only)',
  async start(options, probes) {
    const lameduck = createLameduck(options);
    const answerProbe = createProbeRouter(lameduck, probes);
    const server = http.createServer((req, res) => {
      if (answerProbe(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/') {
        res.end('ok');
      } else if (url.pathname === '/slow') {
        setTimeout(() => res.end('slow'), Number(url.searchParams.get('ms') ?? 100));
      } else if (url.pathname === '/events') {
        serveEvents(res);
      } else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    lameduck.attach(server);
    const wss = new WebSocketServer({ server, path: '/ws' });
    wss.on('connection', echoMessages);
    lameduck.trackWebSockets(wss);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      lameduck,
      async close() {
        lameduck.dispose();
        server.closeAllConnections();
        if (server.listening) await new Promise((resolve) => server.close(resolve));
      },
    };
  },
});
