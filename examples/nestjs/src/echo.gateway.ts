import { LameduckService } from '@lameduck/nestjs';
import { Inject } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';

/** What a client is on either adapter: a `ws` WebSocket (WsAdapter) or a socket.io Socket (IoAdapter). */
interface Client {
  on(event: string, listener: (...args: never[]) => void): unknown;
  send(data: unknown, options?: unknown): unknown;
}

/**
 * The echo WebSocket at /ws. On WsAdapter (the default) each text message comes back; on
 * IoAdapter (NEST_WEBSOCKETS=socket.io, socket.io path /ws) each `echo` event is acknowledged
 * with its text. `afterInit` registers the gateway's server with lameduck, which closes its
 * clients (1001, or a socket.io transport close) when the listener closes.
 */
@WebSocketGateway({ path: '/ws' })
export class EchoGateway implements OnGatewayInit, OnGatewayConnection {
  constructor(@Inject(LameduckService) private readonly lameduck: LameduckService) {}

  afterInit(server: unknown): void {
    this.lameduck.trackWebSockets(server);
  }

  handleConnection(client: Client): void {
    if ('terminate' in client) {
      client.on('message', (data: Buffer, isBinary: boolean) => client.send(data, { binary: isBinary }));
    } else {
      client.on('echo', (text: string, ack?: (text: string) => void) => ack?.(text));
    }
  }
}
