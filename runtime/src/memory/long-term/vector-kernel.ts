/**
 * The inner loop of the embedded store's exact search: a WebAssembly module using 128-bit SIMD
 * (WebAssembly 2.0, in every Node the runtime supports), written here as its instructions and
 * encoded when first used. No build step, no native addon, no binary file to trust: what runs is
 * what is read below. Plain JavaScript tops out at ~60 ms per 100,000 × 768-d scan on the
 * project's 2-core machine (one float64 multiply-add at a time); four f32 lanes with four
 * independent accumulators bring it to about half that, where reading the 307 MB becomes the
 * limit (BENCHMARKS.md, "Layered memory").
 *
 * Both kernels scan rows `[start, end)` of a table of fixed-size records at `base`. A record is a
 * 16-byte header, `[tenant i32][conversation i32][scale f32][unused]`, then the vector: f32 lanes
 * (`scanF32`) or int8 codes (`scanI8`), zero-padded to whole blocks (`F32_BLOCK_BYTES`,
 * `I8_BLOCK_BYTES`). A row whose tenant or conversation differs from the one asked (-1: any) is
 * skipped before its vector is read; each other row's score goes to `outScores[found]` and its
 * row number to `outRows[found]`. The kernels return `found`.
 */

/** Bytes per iteration of `scanF32`'s inner loop: 4 accumulators × 4 lanes × 4 bytes. */
export const F32_BLOCK_BYTES = 64;
/** Bytes per iteration of `scanI8`'s inner loop: 2 loads of 16 codes. */
export const I8_BLOCK_BYTES = 32;
/** Bytes before a record's vector. */
export const RECORD_HEADER_BYTES = 16;

export interface VectorKernel {
  /** Dot products of f32 vectors (`query`: `bytes` of f32 lanes). */
  scanF32(base: number, start: number, end: number, record: number, query: number, bytes: number, tenant: number, conversation: number, outScores: number, outRows: number): number;
  /** Dot products of int8 codes (`query`: `bytes` codes), scaled by the record's scale and `queryScale`. */
  scanI8(base: number, start: number, end: number, record: number, query: number, bytes: number, tenant: number, conversation: number, outScores: number, outRows: number, queryScale: number): number;
}

// ---- encoding (WebAssembly Core Specification 2.0, §5 Binary Format) ---------------------------

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vec = (items: readonly number[][]) => [...uleb(items.length), ...items.flat()];
const utf8 = (s: string) => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];

type Code = number[];
const seq = (...parts: Code[]): Code => parts.flat();
const get = (local: number): Code => [0x20, ...uleb(local)];
const set = (local: number, ...value: Code[]): Code => [...seq(...value), 0x21, ...uleb(local)];
const tee = (local: number, ...value: Code[]): Code => [...seq(...value), 0x22, ...uleb(local)];
const i32 = (n: number): Code => [0x41, ...sleb(n)];
const block = (...body: Code[]): Code => [0x02, 0x40, ...seq(...body), 0x0b];
const loop = (...body: Code[]): Code => [0x03, 0x40, ...seq(...body), 0x0b];
const br = (depth: number): Code => [0x0c, ...uleb(depth)];
const brIf = (depth: number, ...condition: Code[]): Code => [...seq(...condition), 0x0d, ...uleb(depth)];
/** `op` applied to the values `args` leave on the stack. */
const apply = (op: number | Code, ...args: Code[]): Code => [...seq(...args), ...(typeof op === 'number' ? [op] : op)];

// Numeric opcodes (§5.4.5) and SIMD ones (§5.4.8, prefix 0xfd).
const I32_NE = 0x47;
const I32_LT_U = 0x49;
const I32_GE_S = 0x4e;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_AND = 0x71;
const I32_SHL = 0x74;
const F32_ADD = 0x92;
const F32_MUL = 0x94;
const F32_CONVERT_I32_S = 0xb2;
const simd = (op: number, ...immediates: number[]): Code => [0xfd, ...uleb(op), ...immediates];
const I32X4_EXTRACT_LANE = (lane: number) => simd(0x1b, lane);
const F32X4_EXTRACT_LANE = (lane: number) => simd(0x1f, lane);
const I16X8_EXTEND_LOW_I8X16_S = simd(0x87);
const I16X8_EXTEND_HIGH_I8X16_S = simd(0x88);
const I32X4_ADD = simd(0xae);
const I32X4_DOT_I16X8_S = simd(0xba);
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const V128_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));

// Memory instructions: memarg is log2(alignment), then the offset.
const i32Load = (offset: number, address: Code): Code => [...address, 0x28, 2, ...uleb(offset)];
const f32Load = (offset: number, address: Code): Code => [...address, 0x2a, 2, ...uleb(offset)];
const v128Load = (offset: number, address: Code): Code => [...address, ...simd(0x00, 4, ...uleb(offset))];
const i32Store = (address: Code, value: Code): Code => [...address, ...value, 0x36, 2, 0];
const f32Store = (address: Code, value: Code): Code => [...address, ...value, 0x38, 2, 0];

// ---- the kernels ----------------------------------------------------------------------------

// Parameters shared by both kernels, by local index.
const BASE = 0;
const START = 1;
const END = 2;
const RECORD = 3;
const QUERY = 4;
const BYTES = 5;
const TENANT = 6;
const CONVERSATION = 7;
const OUT_SCORES = 8;
const OUT_ROWS = 9;
const SHARED_PARAMS = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];

/**
 * The row loop both kernels share, around `score` (which leaves the row's score, an f32, on the
 * stack; the record's address is in local `p`, its vector's in local `v`):
 *
 *   for (r = start; r < end; r++) {
 *     p = base + r * record
 *     if (tenant >= 0 && i32[p] != tenant) continue
 *     if (conversation >= 0 && i32[p + 4] != conversation) continue
 *     v = p + 16; outScores[found] = score(); outRows[found] = r; found++
 *   }
 *   return found
 */
function rowLoop(locals: { r: number; p: number; v: number; found: number }, score: Code): Code {
  const { r, p, v, found } = locals;
  const skipUnless = (param: number, offset: number) =>
    brIf(0, apply(I32_AND, apply(I32_GE_S, get(param), i32(0)), apply(I32_NE, i32Load(offset, get(p)), get(param))));
  const slot = (out: number) => apply(I32_ADD, get(out), apply(I32_SHL, get(found), i32(2)));
  return seq(
    set(r, get(START)),
    block(
      loop(
        brIf(1, apply(I32_GE_U, get(r), get(END))),
        set(p, apply(I32_ADD, get(BASE), apply(I32_MUL, get(r), get(RECORD)))),
        block(
          skipUnless(TENANT, 0),
          skipUnless(CONVERSATION, 4),
          set(v, apply(I32_ADD, get(p), i32(RECORD_HEADER_BYTES))),
          f32Store(slot(OUT_SCORES), score),
          i32Store(slot(OUT_ROWS), get(r)),
          set(found, apply(I32_ADD, get(found), i32(1))),
        ),
        set(r, apply(I32_ADD, get(r), i32(1))),
        br(0),
      ),
    ),
    get(found),
  );
}

/** Sum of 4 f32 lanes, pairwise. */
const f32Lanes = (x: number): Code =>
  apply(F32_ADD, apply(F32_ADD, apply(F32X4_EXTRACT_LANE(0), get(x)), apply(F32X4_EXTRACT_LANE(1), get(x))), apply(F32_ADD, apply(F32X4_EXTRACT_LANE(2), get(x)), apply(F32X4_EXTRACT_LANE(3), get(x))));

/** Σ query[i] · vector[i] over f32 lanes, 16 per iteration into four accumulators (latency hidden, not chained). */
function scanF32Body(): { locals: number[]; body: Code } {
  const [r, p, i, v, found] = [10, 11, 12, 13, 14];
  const acc = [15, 16, 17, 18];
  const score = seq(
    ...acc.map((a) => set(a, V128_ZERO)),
    set(i, i32(0)),
    loop(
      ...acc.map((a, k) =>
        set(a, apply(F32X4_ADD, get(a), apply(F32X4_MUL, v128Load(16 * k, apply(I32_ADD, get(QUERY), get(i))), v128Load(16 * k, apply(I32_ADD, get(v), get(i)))))),
      ),
      brIf(0, apply(I32_LT_U, tee(i, apply(I32_ADD, get(i), i32(F32_BLOCK_BYTES))), get(BYTES))),
    ),
    set(acc[0], apply(F32X4_ADD, apply(F32X4_ADD, get(acc[0]), get(acc[1])), apply(F32X4_ADD, get(acc[2]), get(acc[3])))),
    f32Lanes(acc[0]),
  );
  return { locals: [I32, I32, I32, I32, I32, V128, V128, V128, V128], body: rowLoop({ r, p, v, found }, score) };
}

/**
 * Σ query[i] · codes[i] over int8 codes, widened to i16 and multiplied pairwise into i32 lanes
 * (`i32x4.dot_i16x8_s`: no overflow, |Σ| ≤ 4096 · 127² < 2³¹ for any width the contract allows),
 * then scaled back: `Σ · scale_row · scale_query`.
 */
function scanI8Body(): { locals: number[]; body: Code } {
  const QUERY_SCALE = 10;
  const [r, p, i, v, found] = [11, 12, 13, 14, 15];
  const acc = [16, 17, 18, 19];
  const [x, y] = [20, 21];
  const half = (offset: number, low: number, high: number) =>
    seq(
      set(x, v128Load(offset, apply(I32_ADD, get(v), get(i)))),
      set(y, v128Load(offset, apply(I32_ADD, get(QUERY), get(i)))),
      set(low, apply(I32X4_ADD, get(low), apply(I32X4_DOT_I16X8_S, apply(I16X8_EXTEND_LOW_I8X16_S, get(x)), apply(I16X8_EXTEND_LOW_I8X16_S, get(y))))),
      set(high, apply(I32X4_ADD, get(high), apply(I32X4_DOT_I16X8_S, apply(I16X8_EXTEND_HIGH_I8X16_S, get(x)), apply(I16X8_EXTEND_HIGH_I8X16_S, get(y))))),
    );
  const lanes = (a: number) =>
    apply(I32_ADD, apply(I32_ADD, apply(I32X4_EXTRACT_LANE(0), get(a)), apply(I32X4_EXTRACT_LANE(1), get(a))), apply(I32_ADD, apply(I32X4_EXTRACT_LANE(2), get(a)), apply(I32X4_EXTRACT_LANE(3), get(a))));
  const score = seq(
    ...acc.map((a) => set(a, V128_ZERO)),
    set(i, i32(0)),
    loop(half(0, acc[0], acc[1]), half(16, acc[2], acc[3]), brIf(0, apply(I32_LT_U, tee(i, apply(I32_ADD, get(i), i32(I8_BLOCK_BYTES))), get(BYTES)))),
    set(acc[0], apply(I32X4_ADD, apply(I32X4_ADD, get(acc[0]), get(acc[1])), apply(I32X4_ADD, get(acc[2]), get(acc[3])))),
    apply(F32_MUL, apply(F32_MUL, apply(F32_CONVERT_I32_S, lanes(acc[0])), f32Load(8, get(p))), get(QUERY_SCALE)),
  );
  return { locals: [I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128], body: rowLoop({ r, p, v, found }, score) };
}

/** Locals as the format groups them: runs of one type. */
function localDeclarations(types: number[]): number[] {
  const runs: number[][] = [];
  for (const t of types) {
    const last = runs[runs.length - 1];
    if (last && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  return vec(runs);
}

/** The module's bytes: imports `env.memory`, exports `scanF32` and `scanI8`. */
export function kernelModuleBytes(): Uint8Array {
  const functions = [
    { name: 'scanF32', params: SHARED_PARAMS, ...scanF32Body() },
    { name: 'scanI8', params: [...SHARED_PARAMS, F32], ...scanI8Body() },
  ];
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec([[I32]])]);
  const bodies = functions.map((f) => {
    const code = [...localDeclarations(f.locals), ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vec(functions.map((_, k) => uleb(k)))),
    ...section(7, vec(functions.map((f, k) => [...utf8(f.name), 0x00, ...uleb(k)]))),
    ...section(10, vec(bodies)),
  ]);
}

/**
 * The part of the WebAssembly JavaScript API used here: Node provides it, but the project's `lib`
 * (ES2022, no DOM) does not declare it.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Adds `pages` of 64 KiB; throws a RangeError past the engine's limit (4 GiB). */
  grow(pages: number): number;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Bytes in a WebAssembly memory page. */
export const WASM_PAGE_BYTES = 65_536;

/** A memory for the kernels of `initialPages` pages. */
export function kernelMemory(initialPages: number): WasmMemory {
  return new wasm.Memory({ initial: initialPages });
}

let compiled: object | undefined;

/** The kernels over `memory` (compiled once per process, instantiated per memory). */
export function vectorKernel(memory: WasmMemory): VectorKernel {
  compiled ??= new wasm.Module(kernelModuleBytes());
  return new wasm.Instance(compiled, { env: { memory } }).exports as VectorKernel;
}
