import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';

/** A free TCP port on 127.0.0.1 (the OS picks; the tiny race with other processes is retried by callers). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A server process on loopback that a test starts, stops and restarts on the same port. */
export class LoopbackServer {
  private child?: ChildProcess;
  private stderr = '';

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly startTimeoutMs = 10_000,
  ) {}

  async start(): Promise<void> {
    this.stderr = '';
    const child = spawn(this.command, [...this.args], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child = child;
    try {
      await waitForPort(this.port, this.startTimeoutMs, child);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${this.name} did not start: ${(error as Error).message}\n${this.stderr}`);
    }
  }

  /** Stops the process and waits for it to exit (SIGKILL after 5 s). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => (clearTimeout(timer), resolve()));
      child.kill('SIGTERM');
    });
  }

  /** Kills the process with SIGKILL, as a crash would (no shutdown), and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
