import { LoopbackServer, freePort } from './process-server';

/** Debian's redis-server on a free 127.0.0.1 port, nothing persisted. */
export async function startRedis(options: { password?: string } = {}): Promise<LoopbackServer & { url: string }> {
  const port = await freePort();
  const server = new LoopbackServer('redis-server', port, 'redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--protected-mode', 'yes',
    '--loglevel', 'warning',
    ...(options.password ? ['--requirepass', options.password] : []),
  ]);
  await server.start();
  return Object.assign(server, { url: `redis://127.0.0.1:${port}` });
}
