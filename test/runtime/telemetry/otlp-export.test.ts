// The SDK as main.ts starts it, exporting to an OTLP/HTTP receiver on loopback. Run in a child
// process under tsx: jest's VM cannot run the exporter's dynamic import of node:http.
import { execFile } from 'node:child_process';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

it('sends the spans as OTLP protobuf to the configured endpoint', async () => {
  const received: { url?: string; headers: IncomingHttpHeaders; bytes: number }[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      received.push({ url: req.url, headers: req.headers, bytes });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const env = { PATH: process.env.PATH, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'orchestra-test' };
    await new Promise<void>((resolve, reject) =>
      execFile(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(__dirname, 'fixtures/export-one-span.ts')], { cwd: ROOT, env, timeout: 20_000 }, (err, _stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(),
      ),
    );
    expect(received).toEqual([{ url: '/v1/traces', headers: expect.objectContaining({ 'content-type': 'application/x-protobuf' }), bytes: expect.any(Number) }]);
    expect(received[0].bytes).toBeGreaterThan(0);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
