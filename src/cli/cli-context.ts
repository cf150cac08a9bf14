/** A stream the CLI writes to: process.stdout, or a capture in tests. */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/**
 * What a command may touch of its process, passed in rather than reached for,
 * so the program can run in a test with captured streams.
 */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /**
   * Resolves when the user asks the command to stop (SIGINT, SIGTERM), for
   * the long-running ones (`tail`, `status --watch`); each call listens anew.
   * Aborting `signal` stops listening (the promise then never settles), so the
   * next Ctrl-C ends the process as usual.
   */
  stopRequested(signal: AbortSignal): Promise<string>;
}

/** The context of the real process. */
export function processContext(): CliContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stopRequested: (signal) =>
      new Promise((resolve) => {
        const stop = (name: string) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(name);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        signal.addEventListener('abort', () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        });
      }),
  };
}
