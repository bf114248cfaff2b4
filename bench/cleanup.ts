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

/** Ctrl-C still drops the bench database and stops the service instead of leaving them behind. */
export function cleanUpOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      void runCleanup().finally(() => process.exit(130));
    });
  }
}
