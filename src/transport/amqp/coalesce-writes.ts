import type { ChannelModel } from 'amqplib';
import type { Writable } from 'node:stream';

const installed = new WeakSet<Writable>();

/**
 * Makes `socket` send what is written to it during one tick as one `writev`
 * instead of one `write` system call per chunk: the first write of a tick
 * corks the socket, and the end of the tick uncorks it (Node's documented
 * cork idiom). amqplib writes every published message and every ack as a
 * chunk of its own, so a burst of publishes released by one batch of
 * confirms costs one system call. Nothing waits longer than the current tick.
 */
export function coalesceWrites(socket: Writable): void {
  if (installed.has(socket)) return;
  installed.add(socket);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below as write.apply(this, args), with the socket as `this`
  const write = socket.write;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Writable, ...args: Parameters<Writable['write']>): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Writable['write'];
}

/**
 * The socket under an amqplib connection. amqplib does not expose it, so this
 * reads its internals (`connection.stream`); `undefined` if they change, and
 * then writes are simply not coalesced. A broker test pins that it is found.
 */
export function socketOf(model: ChannelModel): Writable | undefined {
  const stream = (model as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  return isWritable(stream) ? stream : undefined;
}

function isWritable(value: unknown): value is Writable {
  const candidate = value as Partial<Writable> | undefined;
  return typeof candidate?.write === 'function' && typeof candidate.cork === 'function' && typeof candidate.uncork === 'function';
}
