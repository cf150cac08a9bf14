// The slice of rascal's API the benchmark uses (rascal ships no types).
declare module 'rascal' {
  import type { EventEmitter } from 'node:events';
  export class BrokerAsPromised extends EventEmitter {
    static create(config: object): Promise<BrokerAsPromised>;
    publish(name: string, message: unknown, overrides?: object): Promise<EventEmitter>;
    subscribe(name: string): Promise<EventEmitter>;
    shutdown(): Promise<void>;
  }
  const rascal: { BrokerAsPromised: typeof BrokerAsPromised };
  export default rascal;
}
