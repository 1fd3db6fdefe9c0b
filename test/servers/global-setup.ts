import { ensureFerretdb, ensureRedis } from './tools';

/** Jest global setup: the servers' binaries exist before any test file starts one. */
export default function globalSetup(): void {
  ensureRedis();
  ensureFerretdb((line) => process.stderr.write(`\n${line}\n`));
}
