import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The `pledge` command as an operator runs it: a process of its own with only the given environment (and PATH).

export const CLI = path.resolve('src/cli.ts');

export function pledge(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
