// Jest's node environment, sharing with the test sandbox the host realm's typed arrays that
// native add-ons create and check by `instanceof`. onnxruntime-node (the local embedding model)
// builds its output tensors' Float32Array in the host realm, and onnxruntime-common refuses them
// when its own code runs in the sandbox's realm ("A float32 tensor's data must be type of function
// Float32Array()"). Jest already does this for Buffer, ArrayBuffer and Uint8Array, for the same reason.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = ['Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint16Array', 'Uint32Array', 'Uint8ClampedArray', 'BigInt64Array', 'BigUint64Array'];

class NodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = NodeEnvironment;
