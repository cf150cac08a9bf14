/**
 * Time to recover after each fault, per party (the publisher, each service):
 * from the fault as the party saw it (its state$ said `disconnected`) until
 * state$ said `connected` again, and until its next confirm (publisher) or
 * handled event (service) on the new connections. For the broker restart this
 * includes the time the broker was down. (The rabbitmqctl commands are no
 * clock: the broker acts, and clients reconnect, before the CLI exits.)
 */
import type { Fault } from './faults.js';
import type { StateChange } from './protocol.js';

/** What one party did, for the recovery analysis. */
export interface PartyTimeline {
  readonly name: string;
  readonly states: readonly StateChange[];
  /** When its confirms arrived / its handlers finished, sorted. */
  readonly events: readonly number[];
  /** Whether it had work to do after `at` (so "no event" means stuck, not idle). */
  readonly hadWorkAfter: (at: number) => boolean;
}

export interface Recovery {
  /** Its state$ reported `disconnected` while the fault's command ran (not when it was still down from the one before). */
  readonly disconnectSeen: boolean;
  /** From the disconnect to state$ `connected`; null when it was not connected again before its next disconnect. */
  readonly reconnectedMs: number | null;
  /** From the disconnect to the next confirm / handled event; null when none came before its next disconnect. */
  readonly recoveredMs: number | null;
  /** No event ever came after this fault although there was work: the party never recovered. */
  readonly stuck: boolean;
  /** No event came after this fault, and there was nothing to do. */
  readonly idle: boolean;
}

export interface FaultRecovery {
  readonly fault: Fault;
  readonly parties: Readonly<Record<string, Recovery>>;
}

export interface RecoverySummary {
  readonly medianMs: number | null;
  readonly maxMs: number | null;
  readonly stuck: number;
}

export function recoveries(faults: readonly Fault[], parties: readonly PartyTimeline[]): FaultRecovery[] {
  return faults.map((fault) => ({
    fault,
    parties: Object.fromEntries(parties.map((party) => [party.name, recoveryOf(fault, party)] as const)),
  }));
}

/** Median and max of one party's recovery times over the faults of one kind. */
export function summarize(rows: readonly FaultRecovery[], party: string, kind: Fault['kind']): RecoverySummary {
  const of = rows.filter((row) => row.fault.kind === kind).map((row) => row.parties[party]);
  const times = of.flatMap((r) => (r?.recoveredMs == null ? [] : [r.recoveredMs])).sort((a, b) => a - b);
  return {
    medianMs: times.length === 0 ? null : (times[Math.floor((times.length - 1) / 2)] as number),
    maxMs: times.length === 0 ? null : (times[times.length - 1] as number),
    stuck: of.filter((r) => r?.stuck).length,
  };
}

/**
 * The CLI acts at the end of its run (an Erlang VM starts first), so a fault's disconnect falls between the
 * command's start and a little after its end; the party's own next disconnect closes the window.
 */
const DISCONNECT_GRACE_MS = 300;

function recoveryOf(fault: Fault, party: PartyTimeline): Recovery {
  const disconnected = party.states.find(
    (s) => s.status === 'disconnected' && s.at >= fault.startedAt && s.at < fault.endedAt + DISCONNECT_GRACE_MS,
  );
  if (!disconnected) {
    // Already down from an earlier fault (state$ only reports changes), or the fault missed it.
    const next = firstAtOrAfter(party.events, fault.endedAt);
    return {
      disconnectSeen: false,
      reconnectedMs: null,
      recoveredMs: null,
      stuck: next === undefined && party.hadWorkAfter(fault.endedAt),
      idle: false,
    };
  }
  const until = party.states.find((s) => s.status === 'disconnected' && s.at > disconnected.at)?.at ?? Number.POSITIVE_INFINITY;
  const connected = party.states.find((s) => s.status === 'connected' && s.at > disconnected.at && s.at < until);
  // Only what happens once state$ says connected again is surely the new connections' work (a service's
  // two connections do not drop at the same instant, and events are still handled in between).
  const threshold = connected?.at ?? disconnected.at;
  const next = firstAtOrAfter(party.events, threshold);
  const work = party.hadWorkAfter(threshold);
  return {
    disconnectSeen: true,
    reconnectedMs: connected === undefined ? null : connected.at - disconnected.at,
    recoveredMs: next !== undefined && next < until ? next - disconnected.at : null,
    stuck: next === undefined && work,
    idle: next === undefined && !work,
  };
}

/** Binary search in a sorted array. */
function firstAtOrAfter(sorted: readonly number[], at: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < at) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}
