// The server side of scripts/hot-path-bench.mjs: node:http with a lameduck build attached (the
// module path is argv[2]), no subscriber, no SDK. Reports its own CPU time on request (IPC).
import * as http from 'node:http';
import { pathToFileURL } from 'node:url';

const { createLameduck } = await import(pathToFileURL(process.argv[2]).href);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const lameduck = createLameduck({ signals: false, exitOnStopped: false, logger: quiet, env: {} });
const server = http.createServer((_req, res) => res.end('ok'));
lameduck.attach(server);
let mark = process.cpuUsage();
process.on('message', (message) => {
  if (message === 'mark') {
    mark = process.cpuUsage();
    process.send?.('marked');
  } else if (message === 'usage') {
    const used = process.cpuUsage(mark);
    process.send?.({ cpuMicros: used.user + used.system });
  } else if (message === 'stop') {
    server.close();
    server.closeAllConnections();
    process.disconnect();
  }
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
