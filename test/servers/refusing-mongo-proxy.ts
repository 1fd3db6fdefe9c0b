import * as net from 'node:net';
import { BSON } from 'mongodb';

/**
 * A MongoDB wire-protocol proxy on 127.0.0.1 in front of a real server (FerretDB) that answers
 * chosen commands itself with a refusal, as a server does to a user without the privilege:
 * `{ ok: 0, code: 13, codeName: "Unauthorized" }` (MongoDB's error_codes.yml). Firestore with
 * MongoDB compatibility refuses index creation to an account without the index-admin role (its
 * "Manage indexes" page); Google does not document the wire error it sends, so the refusal is
 * MongoDB's own. FerretDB v1 has no per-user privileges to set up the same thing for real.
 *
 * Every other message is passed through unchanged. Only OP_MSG (opcode 2013, the protocol the
 * driver speaks once connected) is inspected; the driver waits for the answer to a command before
 * sending the next on a connection, so an answer written here never interleaves with the server's.
 */
export interface RefusingProxy {
  readonly uri: string;
  /** Names of the commands refused so far, in order. */
  readonly refused: string[];
  close(): Promise<void>;
}

const OP_MSG = 2013;
const HEADER = 16;
const CHECKSUM_PRESENT = 1;
const UNAUTHORIZED = 13;

/**
 * Refuses the commands named in `refuse`; `code` replaces Unauthorized (13) to test how other
 * server errors are handled.
 */
export async function startRefusingProxy(target: { host: string; port: number }, refuse: readonly string[], code = UNAUTHORIZED): Promise<RefusingProxy> {
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);

    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const message = pending.subarray(0, pending.readInt32LE(0));
        pending = pending.subarray(message.length);
        const command = commandOf(message);
        if (command !== undefined && refuse.includes(command)) {
          refused.push(command);
          client.write(refusal(message.readInt32LE(4), command, code));
        } else {
          upstream.write(message);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    refused,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The command name (first key of the body section) of an OP_MSG, or undefined for anything else. */
function commandOf(message: Buffer): string | undefined {
  if (message.readInt32LE(12) !== OP_MSG) return undefined;
  // header, flagBits, then sections; the body is the section of kind 0.
  let offset = HEADER + 4;
  const end = message.readUInt32LE(HEADER) & CHECKSUM_PRESENT ? message.length - 4 : message.length;
  while (offset < end) {
    const kind = message.readUInt8(offset);
    if (kind === 0) {
      const size = message.readInt32LE(offset + 1);
      const body = BSON.deserialize(message.subarray(offset + 1, offset + 1 + size));
      return Object.keys(body)[0];
    }
    offset += 1 + message.readInt32LE(offset + 1); // kind 1: a size-prefixed document sequence
  }
  return undefined;
}

function refusal(requestId: number, command: string, code: number): Buffer {
  const body = BSON.serialize(
    code === UNAUTHORIZED
      ? { ok: 0, errmsg: `not authorized to execute command { ${command} }`, code, codeName: 'Unauthorized' }
      : { ok: 0, errmsg: `${command} failed (refused by the test proxy with code ${code})`, code },
  );
  const reply = Buffer.alloc(HEADER + 4 + 1 + body.length);
  reply.writeInt32LE(reply.length, 0);
  reply.writeInt32LE(0, 4); // requestID: unused by the driver for replies
  reply.writeInt32LE(requestId, 8); // responseTo
  reply.writeInt32LE(OP_MSG, 12);
  reply.writeUInt32LE(0, 16); // flagBits
  reply.writeUInt8(0, 20); // section kind 0
  reply.set(body, 21);
  return reply;
}
