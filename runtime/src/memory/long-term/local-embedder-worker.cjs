'use strict';
// One ONNX Runtime session on its own thread, for LocalEmbedder's pool. Plain CommonJS that only
// requires onnxruntime-node (by the path the parent resolved), so it loads alike under tsx, jest
// (whose module system a worker cannot use) and the compiled runtime/dist (tsc copies it: allowJs).
// workerData: { ortPath, model (the .onnx bytes), pooling: 'cls' | 'mean' }.
// Messages in: { id, ids: number[] } (one text's token ids). Out: { id, vector } (pooled, not yet
// normalized; its buffer transferred) or { id, error }. A failed load throws: the parent sees the
// worker's 'error' event and fails what it had sent.
const { parentPort, workerData } = require('node:worker_threads');

const ort = require(workerData.ortPath);

// One thread per session: the pool runs one session per core, so intra-op threads would only
// contend with the other workers and the event loop.
const ready = ort.InferenceSession.create(workerData.model, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
ready.then(
  () => parentPort.postMessage({ ready: true }),
  (error) => {
    throw error;
  },
);

parentPort.on('message', async ({ id, ids }) => {
  const session = await ready;
  try {
    const shape = [1, ids.length];
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), shape),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
    };
    // One segment: every token's type is 0.
    if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(ids.length), shape);
    const output = await session.run(feeds);
    const hidden = output[session.outputNames[0]];
    const width = hidden.dims[2];
    const data = hidden.data;
    const vector = new Float32Array(width);
    if (workerData.pooling === 'cls') vector.set(data.subarray(0, width));
    else {
      for (let j = 0; j < ids.length; j++) for (let d = 0; d < width; d++) vector[d] += data[j * width + d];
      for (let d = 0; d < width; d++) vector[d] /= ids.length;
    }
    parentPort.postMessage({ id, vector }, [vector.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
