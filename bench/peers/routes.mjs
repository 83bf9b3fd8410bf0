// The service every rollout peer runs (the simulator's contract): GET / at once, GET /slow?ms=N
// after N ms, POST / echoes its JSON body, /readyz answers 200 (or 503 once `ready()` says no),
// listening on $HOST:$PORT. Each peer file wires one shutdown library the way its README does.
import http from 'node:http';

export function handler(ready = () => true) {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://peer');
    const reply = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (url.pathname === '/readyz') return reply(ready() ? 200 : 503, { ready: ready() });
    if (url.pathname === '/livez') return reply(200, { live: true });
    if (url.pathname === '/slow') {
      const ms = Math.min(Number(url.searchParams.get('ms') ?? 100) || 0, 60_000);
      const timer = setTimeout(() => reply(200, { waitedMs: ms }), ms);
      res.once('close', () => clearTimeout(timer));
      return;
    }
    if (url.pathname === '/' && req.method === 'POST') {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => reply(200, JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null')));
      return;
    }
    if (url.pathname === '/') return reply(200, { hello: 'world' });
    return reply(404, { error: 'not found' });
  };
}

/** A node:http server with keep-alive above a 60 s proxy idle timeout, as the examples use. */
export function createServer(ready) {
  const server = http.createServer(handler(ready));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

export function listen(server) {
  server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '0.0.0.0');
  return server;
}
