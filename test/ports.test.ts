import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/ports';

// CI failed once with `listen EADDRINUSE 127.0.0.1:42723` from `npm start`: the test chose that port
// with freePort(), and while the worker bundled, another file's outgoing connection was given it as
// its local port. Ports the kernel hands out to outgoing connections must never be chosen.
const [ephemeralLow, ephemeralHigh] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);

describe('freePort', () => {
  it('chooses ports outside the kernel’s range for outgoing connections, and never the same one twice in a process', async () => {
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    for (const port of ports) expect(port < ephemeralLow! || port > ephemeralHigh!, `port ${port}`).toBe(true);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('chooses a port nobody listens on, and one an outgoing connection cannot take', async () => {
    const port = await freePort();
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = (server.address() as { port: number }).port;
    const sockets = await Promise.all(
      Array.from({ length: 20 }, () => new Promise<number>((resolve, reject) => {
        const socket = connect(target, '127.0.0.1', () => { resolve(socket.localPort!); socket.destroy(); });
        socket.once('error', reject);
      })),
    );
    server.close();
    expect(sockets).not.toContain(port);
    const mine = createServer();
    await new Promise<void>((resolve, reject) => { mine.once('error', reject); mine.listen(port, '127.0.0.1', resolve); });
    mine.close();
  });
});
