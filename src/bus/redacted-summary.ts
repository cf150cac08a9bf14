import type { ResolvedOptions } from './options.js';

/** What inspecting or serialising a bus shows: where it is connected and what it consumes, never credentials. */
export interface RedactedSummary {
  readonly exchange: string;
  readonly queue: string | undefined;
  readonly state: 'open' | 'closing' | 'closed';
  /** The broker URLs with their passwords as `***` (`'custom transport'` when a transport was given). */
  readonly urls: string | readonly string[];
}

export function redactedSummaryOf(
  config: ResolvedOptions,
  state: RedactedSummary['state'],
  consuming: boolean,
): RedactedSummary & { readonly consuming: boolean } {
  return {
    exchange: config.exchange,
    queue: config.queue,
    state,
    urls: config.transport === undefined ? config.urls.redacted : 'custom transport',
    consuming,
  };
}
