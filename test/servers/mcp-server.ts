/**
 * A local MCP server written with the official SDK, for the runtime's MCP client tests. Over
 * stdio when run as a program (`node test/servers/mcp-server.ts`, spawned by the client); over
 * streamable HTTP on 127.0.0.1 with `startMcpHttpServer`. Only erasable TypeScript: Node runs it
 * as is. Its tools: `add` (a schema with required numbers), `fail` (throws), `hang` (never
 * answers), `big` (an oversized result), `whoami` (the Authorization header it got, over HTTP).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** Characters of `big`'s result. */
export const BIG_RESULT_CHARS = 50_000;

export function buildMcpServer(authorization?: string): McpServer {
  const server = new McpServer({ name: 'orchestra-test-mcp', version: '1.0.0' });
  server.registerTool(
    'add',
    { description: 'Adds two numbers a and b', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  server.registerTool('fail', { description: 'Always fails', inputSchema: {} }, async () => {
    throw new Error('the fail tool failed on purpose');
  });
  server.registerTool('hang', { description: 'Never answers', inputSchema: {} }, () => new Promise<never>(() => undefined));
  server.registerTool('big', { description: 'Returns a very long text', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'x'.repeat(BIG_RESULT_CHARS) }] }));
  server.registerTool('whoami', { description: 'Tells the Authorization header of the request', inputSchema: {} }, async () => ({
    content: [{ type: 'text', text: authorization ?? 'none' }],
  }));
  return server;
}

/** Streamable HTTP, stateless: a server and transport per request, as the SDK's example does. */
export async function startMcpHttpServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const http: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const server = buildMcpServer(req.headers.authorization);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

if (process.argv[1] !== undefined && /mcp-server\.ts$/.test(process.argv[1]) && process.env.MCP_TEST_STDIO === '1') {
  void buildMcpServer().connect(new StdioServerTransport());
}
