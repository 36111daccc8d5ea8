// The benchmarks run their simulators in a child process, so the collector's CPU and RSS are measured alone. The
// child prints one JSON line describing what it serves, then serves until it is told to stop.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

export async function spawnLabChild<T>(
  args: string[],
  opts: { what: string; timeoutMs: number; env?: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' },
): Promise<{ child: ChildProcess; info: T }> {
  const spawnOpts: SpawnOptions = { stdio: [opts.stdin ?? 'pipe', 'pipe', 'inherit'], ...(opts.env ? { env: opts.env } : {}) };
  const child = spawn(process.execPath, args, spawnOpts);
  const info = await new Promise<T>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${opts.what} did not start within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve(JSON.parse(text.slice(0, nl)) as T);
    });
    child.once('exit', (code) => reject(new Error(`${opts.what} exited (${code})`)));
  });
  return { child, info };
}
