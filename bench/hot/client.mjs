// The hot path's load generator: a fixed number of keep-alive connections over node:net, each
// with one `GET /` outstanding at a time, the request a prebuilt buffer and the response parsed
// only as far as its Content-Length. It costs a few µs per request, so on a 2-core machine the
// client leaves the server its own core instead of competing with it (undici costs about as
// much CPU per request as the server it measures). The connections stay open for the whole run:
// no connection set-up inside a measurement.
import net from 'node:net';

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** Length of the first complete response in `buffer` (status must be 200), or -1 if incomplete. */
export function responseLength(buffer) {
  const end = buffer.indexOf(HEADER_END);
  if (end === -1) return -1;
  const head = buffer.toString('latin1', 0, end);
  if (!head.startsWith('HTTP/1.1 200'))
    throw new Error(`hot path: unexpected response ${head.split('\r\n')[0]}`);
  const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (match === null) throw new Error('hot path: response without Content-Length');
  const total = end + HEADER_END.length + Number(match[1]);
  return buffer.length >= total ? total : -1;
}

export async function openClient(port, connections, name = `port ${port}`) {
  let job = null;
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
          socket.setNoDelay(true);
          socket.once('error', reject);
        }),
    ),
  );
  for (const socket of sockets) {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      try {
        for (let length = responseLength(pending); length !== -1; length = responseLength(pending)) {
          pending = pending.subarray(length);
          job?.done(socket);
        }
      } catch (error) {
        job?.fail(error);
      }
    });
    socket.on('error', (error) => job?.fail(error));
    socket.on('close', () => job?.fail(new Error(`hot path: ${name}: the server closed a connection`)));
  }

  /** Sends exactly `count` requests, one outstanding per connection; resolves with the seconds taken. */
  function run(count, timeoutMs = 120_000) {
    return new Promise((resolve, reject) => {
      let sent = 0;
      let received = 0;
      const started = performance.now();
      const guard = setTimeout(
        () =>
          job.fail(
            new Error(
              `hot path: ${name}: ${count} requests took over ${timeoutMs} ms (${received} answered)`,
            ),
          ),
        timeoutMs,
      );
      job = {
        done(socket) {
          received += 1;
          if (received === count) {
            clearTimeout(guard);
            job = null;
            resolve((performance.now() - started) / 1000);
          } else if (sent < count) {
            sent += 1;
            socket.write(REQUEST);
          }
        },
        fail(error) {
          clearTimeout(guard);
          job = null;
          reject(error);
        },
      };
      for (const socket of sockets) {
        if (sent === count) break;
        sent += 1;
        socket.write(REQUEST);
      }
    });
  }

  function close() {
    job = null;
    for (const socket of sockets) {
      socket.removeAllListeners('close');
      socket.destroy();
    }
  }
  return { run, close };
}
