import * as fs from 'node:fs';
import * as path from 'node:path';
import { Collection, Db, MongoClient } from 'mongodb';
import { FIRESTORE_MONGODB, GOOGLE_API_CALLS, MONGODB_DRIVER_COMMANDS, NOT_SENT_TO_FIRESTORE } from '../../../runtime/src/contract';

// The runtime's declaration of its Google API calls (google-api-calls.ts) is what the IAM
// contract grants from, so it must be what the code calls. The clients' method names come from
// the clients themselves (the generated clients' method configs, the private proto, the MongoDB
// driver's prototypes), so a new call of any of their methods is found wherever it is written.

const OTLP_TRACE_EXPORT = 'opentelemetry.proto.collector.trace.v1.TraceService.Export';
const SRC = path.resolve(__dirname, '../../../runtime/src');
const AIPLATFORM_V1 = path.resolve(__dirname, '../../../node_modules/@google-cloud/aiplatform/build/src/v1');
const PROTOS = path.resolve(__dirname, '../../../runtime/protos');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Source without comments, so a method named in prose is not a call. */
function code(file: string): string {
  return fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const lowerFirst = (s: string) => s[0].toLowerCase() + s.slice(1);
const calls = (text: string, method: string) => new RegExp(`\\.${method}\\s*\\(`).test(text);

/** Every RPC of `service` declared in the proto files under `dir`, by proto file. */
function protoServices(dir: string): { file: string; service: string; methods: string[] }[] {
  if (!fs.existsSync(dir)) return [];
  return sourceFilesOf(dir, '.proto').flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    const pkg = /^package\s+([\w.]+);/m.exec(text)?.[1];
    return [...text.matchAll(/service\s+(\w+)\s*\{([\s\S]*?)\n\}/g)].map((m) => ({
      file: path.relative(dir, file),
      service: `${pkg}.${m[1]}`,
      methods: [...m[2].matchAll(/rpc\s+(\w+)\s*\(/g)].map((r) => r[1]),
    }));
  });
}

function sourceFilesOf(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFilesOf(full, ext);
    return e.name.endsWith(ext) ? [full] : [];
  });
}

/** [method, file] for every Google API method the runtime's code calls. */
function usedMethods(): [string, string][] {
  const used: [string, string][] = [];
  const driverMethods = new Set(
    [Collection.prototype, Db.prototype, MongoClient.prototype].flatMap((p) => Object.getOwnPropertyNames(p)).filter((n) => n !== 'constructor'),
  );
  const protos = protoServices(PROTOS);
  for (const file of sourceFiles(SRC)) {
    const rel = path.relative(SRC, file);
    const text = code(file);
    // Generated Vertex AI clients, however imported (type import, deep path, dynamic import).
    for (const m of text.matchAll(/@google-cloud\/aiplatform\/build\/src\/v1\/(\w+)_client/g)) {
      const config = JSON.parse(fs.readFileSync(path.join(AIPLATFORM_V1, `${m[1]}_client_config.json`), 'utf8')) as { interfaces: Record<string, { methods: Record<string, unknown> }> };
      for (const [service, { methods }] of Object.entries(config.interfaces)) {
        for (const method of Object.keys(methods)) if (calls(text, lowerFirst(method))) used.push([`${service}.${method}`, rel]);
      }
    }
    // Services of the runtime's own protos (the private match service).
    for (const proto of protos) {
      if (!text.includes(proto.file) && !text.includes(`'${proto.service}'`)) continue;
      for (const method of proto.methods) if (calls(text, method) || calls(text, lowerFirst(method))) used.push([`${proto.service}.${method}`, rel]);
    }
    // The OTLP trace exporter: its spans go to whichever endpoint is set, Google's Telemetry API among them.
    if (/new OTLPTraceExporter\(/.test(text)) used.push([OTLP_TRACE_EXPORT, rel]);
    // The MongoDB driver: every prototype method called, by the wire command it sends.
    if (/from 'mongodb'/.test(text)) {
      for (const name of driverMethods) {
        if (!calls(text, name)) continue;
        const command = MONGODB_DRIVER_COMMANDS[name];
        used.push([command === undefined ? `mongodb driver method ${name}() (say what it sends in MONGODB_DRIVER_COMMANDS)` : `${FIRESTORE_MONGODB}.${command}`, rel]);
      }
    }
  }
  return used;
}

const declared = new Map(GOOGLE_API_CALLS.map((c) => [c.method, c]));

describe('the declared Google API calls', () => {
  const used = usedMethods();

  it('include every Google API method the runtime calls, with the file that calls it', () => {
    const undeclared = used.filter(([method, file]) => {
      const command = method.startsWith(`${FIRESTORE_MONGODB}.`) ? method.slice(FIRESTORE_MONGODB.length + 1) : undefined;
      if (command !== undefined && command in NOT_SENT_TO_FIRESTORE) return false;
      return !declared.get(method)?.callSites.includes(file);
    });
    expect(undeclared).toEqual([]);
  });

  it('are each made where they say (no stale declaration)', () => {
    const stale = GOOGLE_API_CALLS.flatMap((c) => c.callSites.filter((file) => !used.some(([m, f]) => m === c.method && f === file)).map((file) => `${c.method} in ${file}`));
    expect(stale).toEqual([]);
  });

  it('find the calls of the runtime as it is (the scan is not vacuous)', () => {
    expect(used.map(([m]) => m)).toEqual(
      expect.arrayContaining([
        'google.cloud.aiplatform.v1.PredictionService.Predict',
        'google.cloud.aiplatform.v1.PredictionService.GenerateContent',
        'google.cloud.aiplatform.v1.IndexService.UpsertDatapoints',
        'google.cloud.aiplatform.v1.MatchService.FindNeighbors',
        `${FIRESTORE_MONGODB}.Find`,
      ]),
    );
  });

  it('send index creation only where the runtime is told to manage indexes, which the memory factory never is', () => {
    expect(code(path.join(SRC, 'memory/create-memory.ts'))).not.toMatch(/manageIndexes/);
  });

  it('name each method once, as a full name', () => {
    expect(declared.size).toBe(GOOGLE_API_CALLS.length);
    // Google's Telemetry API serves the OpenTelemetry collector's own service, under its own name.
    for (const c of GOOGLE_API_CALLS.filter((c) => c.method !== OTLP_TRACE_EXPORT)) expect(c.method).toMatch(/^google\.[a-z]+(\.[a-z0-9]+)*\.[A-Z]\w*\.[A-Z]\w*$|^google\.firestore\.mongodbcompatible\.[A-Z]\w*$/);
  });
});
