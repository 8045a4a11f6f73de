import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/**
 * A real `nats-server -js` (Debian package `nats-server`) on a free loopback port with its own
 * JetStream store, for the NATS e2e specs. {@link stop} and {@link start} keep port and store,
 * so a restart is the same server with the same stream.
 */
export class NatsServerProcess {
  private proc: ChildProcess | null = null;
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'sb-nats-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<NatsServerProcess> {
    const server = new NatsServerProcess(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const bin = process.env.NATS_SERVER_BIN ?? 'nats-server';
    this.proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: 'ignore',
    });
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      if (await listening(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not listen on ${this.port}`);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
