// The clients of the idle-socket drain, in a process of their own so that the bench's process
// does nothing but wait for the server's exit: `node idle-clients.mjs <port> <n>` opens n
// keep-alive sockets, one GET / each, reports 'ready' once every answer came, and exits when the
// server has closed them all (or when the bench tells it to).
import net from 'node:net';

const [port, n] = process.argv.slice(2).map(Number);
const sockets = [];
for (let i = 0; i < n; i += 200) {
  const batch = Array.from(
    { length: Math.min(200, n - i) },
    () =>
      new Promise((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.once('error', reject);
        socket.once('connect', () => socket.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'));
        socket.once('data', () => resolve(socket));
      }),
  );
  sockets.push(...(await Promise.all(batch)));
}
let open = sockets.length;
for (const socket of sockets) {
  socket.on('error', () => {});
  socket.once('close', () => {
    open -= 1;
    if (open === 0) process.exit(0);
  });
}
process.on('disconnect', () => process.exit(0));
process.send('ready');
