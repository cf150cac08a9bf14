import { execFileSync } from 'node:child_process';

/**
 * How many off-heap (reference-counted) binaries the process of queue `queue`
 * (vhost `/`) holds references to, asked of the node on this machine with
 * `rabbitmqctl eval`; undefined when it cannot answer. Erlang copies a binary
 * of up to 64 bytes onto a process's heap when a message carries it from one
 * process to another; a larger one stays a reference to the buffer it was cut
 * from (here the connection's receive buffer), one more per message.
 */
export function queueBinaries(queue: string): number | undefined {
  if (!/^[\w.-]+$/.test(queue)) throw new Error(`queueBinaries: ${queue} is not a plain queue name`);
  const expression =
    `{ok, Q} = rabbit_amqqueue:lookup(rabbit_misc:r(<<"/">>, queue, <<"${queue}">>)), ` +
    '{binary, Bs} = erlang:process_info(amqqueue:get_pid(Q), binary), length(Bs).';
  try {
    const count = Number(execFileSync('rabbitmqctl', ['eval', expression], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(count) ? count : undefined;
  } catch {
    return undefined;
  }
}
