import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of one Valkey node: app → proxy → node. While partitioned it
 * delivers nothing in either direction (bytes are held, as a network that drops them and TCP
 * retransmits them later would), and new connections get no upstream until the partition heals.
 */
export class TcpProxy {
  private server?: Server;
  private partitioned = false;
  private readonly held: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Stops delivering until `heal`. */
  partition(): void {
    this.partitioned = true;
  }

  /** Delivers what was held, in order, and resumes. */
  heal(): void {
    this.partitioned = false;
    for (const release of this.held.splice(0)) release();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    const open = () => {
      if (client.destroyed) return;
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.sockets.add(upstream);
      upstream.on('close', () => {
        this.sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      this.forward(client, upstream);
      this.forward(upstream, client);
    };
    if (this.partitioned) this.held.push(open);
    else open();
  }

  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (this.partitioned) this.held.push(() => !to.destroyed && to.write(chunk));
      else if (!to.destroyed) to.write(chunk);
    });
  }
}
