// Shared by every bench server: one handler, the listening handshake, `?ms=N` slow responses.
import http from 'node:http';

export function handler(req, res) {
  const ms = Number(new URL(req.url ?? '/', 'http://bench').searchParams.get('ms') ?? 0);
  if (ms > 0) setTimeout(() => res.end('slow'), ms);
  else res.end('ok');
}

export function createServer() {
  return http.createServer({ keepAliveTimeout: 65_000 }, handler);
}

export function listen(server) {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);
  });
}
