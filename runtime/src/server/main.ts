// The runtime's process entry: `npm start` locally, `node runtime/dist/server/main.js` in the image.
import closeWithGrace from 'close-with-grace';
import { ValidationError } from '../contract';
import { startTelemetry } from '../telemetry/sdk';
import { Service, createService } from './service';

// Before any request: spans started earlier would have no provider to go to.
const telemetry = startTelemetry(process.env);

async function main(): Promise<void> {
  let service: Service | undefined;
  try {
    // Layers that connect lazily (Vertex AI) warm up once the service has first reported ready:
    // loading their clients blocks the event loop for a moment, which should not delay the
    // start-up probe, the part of a cold start that Cloud Run users wait for.
    service = await createService(process.env, { onFirstReady: () => void service?.memory.warmUp() });
  } catch (error) {
    // Bad settings (ConfigError), or settings a memory client cannot be built from
    // (MemoryOptionsError): a message naming each problem, not a stack trace. A backend that is
    // merely down does not get here; the service starts and says so on /readyz.
    if (!ValidationError.isValidationError(error)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const { app, config, memory } = service;

  // Cloud Run sends SIGTERM and allows 10 s: close stops accepting, finishes in-flight requests,
  // then the onClose hooks close the memory's clients.
  closeWithGrace({ delay: 9000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    // After the last request: its spans are in the batch still.
    await telemetry?.shutdown();
  });

  await app.listen({ port: config.server.port, host: config.server.host });
  if (config.server.apiKeys.length === 0) {
    app.log.warn(`auth is OFF (local development, no ORCHESTRA_API_KEYS): /v1 is open to anything that reaches ${config.server.host}:${config.server.port}`);
  }
  const layers = await memory.status();
  app.log.info({ environment: config.environment, layers: layers.map((l) => `${l.layer}=${l.backend}`) }, 'orchestra runtime ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
