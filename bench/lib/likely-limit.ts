import type { ClientFigures } from './scale-report.js';

/** A loop busier than this, or a broker using more of a core, is taken as saturated. */
export const SATURATED = 0.85;
/** GC pauses above this share of the client's CPU per message make GC the named part of a client limit. */
const GC_SHARE = 0.25;

/**
 * Which side most likely limits one client at one point, read from its own
 * figures as docs/guide/performance.md explains ("How to read a bend"): the
 * client when its event loop is saturated (GC when its pauses are a large
 * share of its CPU), the broker when it takes most of a core (a queue is one
 * Erlang process), else neither: the client waits on round trips, or on
 * other processes sharing the cores. A hint to check, not a measurement.
 */
export function likelyLimit(c: ClientFigures): string {
  if (c.loopBusy === undefined) return '';
  if (c.loopBusy >= SATURATED) {
    const gc = c.gcUsPerMsg !== undefined && c.cpuUsPerMsg !== undefined && c.gcUsPerMsg >= GC_SHARE * c.cpuUsPerMsg;
    return gc ? 'client (GC)' : 'client';
  }
  if ((c.brokerCores ?? 0) >= SATURATED) return 'broker';
  return 'neither';
}
