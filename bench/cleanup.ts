type Task = () => Promise<void> | void;

const tasks: Task[] = [];
let running: Promise<void> | null = null;

/** Registers undo work (stop a service, drop a database); it runs once, newest first, on success, error or signal. */
export function onCleanup(task: Task): () => void {
  tasks.push(task);
  return () => {
    const at = tasks.indexOf(task);
    if (at >= 0) tasks.splice(at, 1);
  };
}

export function runCleanup(): Promise<void> {
  running ??= (async () => {
    while (tasks.length > 0) {
      const task = tasks.pop() as Task;
      try {
        await task();
      } catch (error) {
        process.stderr.write(`bench: cleanup step failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  })();
  return running;
}

/** Ctrl-C, a closed terminal or a stray error still drop the bench database and stop the service. */
export function cleanUpOnAbnormalExit(): void {
  const abort = (reason: string, code: number): void => {
    process.stderr.write(`\nbench: ${reason}, cleaning up\n`);
    void runCleanup().finally(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => abort(signal, 130));
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.once(event, (error: unknown) => abort(error instanceof Error ? error.message : String(error), 1));
  }
}
