import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LoopbackServer, freePort } from './process-server';
import { ferretdbBinary } from './tools';

/**
 * FerretDB (MongoDB wire protocol) on a free 127.0.0.1 port, SQLite files in a temp dir that
 * survives restarts of the same server and is removed by `stop()` … `dispose()`.
 */
export async function startMongo(): Promise<LoopbackServer & { uri: string; dispose(): Promise<void> }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-ferretdb-'));
  const server = new LoopbackServer('ferretdb', port, ferretdbBinary(), ['-listen', `127.0.0.1:${port}`, '-dir', dir]);
  await server.start();
  return Object.assign(server, {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    async dispose() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}
