import { SingleBar } from 'cli-progress';
import type { DeadLetterReplayProgress } from '../index.js';
import type { CliContext } from './cli-context.js';

/** Draws a replay's progress; does nothing where there is no terminal to draw on. */
export interface ReplayProgressBar {
  update(progress: DeadLetterReplayProgress): void;
  /** Leaves the last state on screen and gives the line back. */
  stop(): void;
}

const FORMAT = '{bar} {value}/{total} | replayed {replayed} · skipped {skipped} · failed {failed} · {rate}/s';

/**
 * A cli-progress bar on stderr, only when stderr is a terminal and results
 * are not JSON: a pipe or a log file gets no escape codes, only the summary.
 */
export function replayProgressBar(cli: CliContext, json: boolean): ReplayProgressBar {
  if (json || cli.stderr.isTTY !== true) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: FORMAT,
    stream: cli.stderr as NodeJS.WritableStream,
    barsize: 30,
    hideCursor: true,
    fps: 10,
    barCompleteChar: '█',
    barIncompleteChar: '░',
  });
  let started = false;
  return {
    update: (progress) => {
      const { replayed, skipped, failed, total, ratePerSec = 0 } = progress;
      const payload = { replayed, skipped, failed, rate: ratePerSec };
      const value = replayed + skipped + failed;
      if (!started) bar.start(total, value, payload);
      else bar.update(value, payload);
      started = true;
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
