// Runs the local Vertex AI gRPC server as its own process (benchmarks: its CPU work then does not
// share the client's event loop, as the real service would not). Prints `port <n>` when ready
// (then ` private-port <m>`, the private match service's) and stops on SIGTERM.
import { startVertexServer } from './vertex-server';

const [indexName, indexEndpointName, deployedIndexId] = process.argv.slice(2);
if (!indexName || !indexEndpointName || !deployedIndexId) {
  console.error('usage: vertex-server-main <indexName> <indexEndpointName> <deployedIndexId>');
  process.exit(2);
}

startVertexServer({ indexName, indexEndpointName, deployedIndexId }).then((server) => {
  console.log(`port ${server.port} private-port ${server.privatePort}`);
  process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
});
