import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

// The type checker and the linter are part of the suite: a change that breaks either fails `npm test`.

function run(bin: string, args: string[]) {
  return spawnSync(process.execPath, [path.resolve('node_modules', bin), ...args], { encoding: 'utf8', timeout: 300_000 });
}

test('tsc --noEmit finds no type errors', () => {
  const result = run('typescript/bin/tsc', ['--noEmit']);
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('eslint finds no problems', () => {
  const result = run('eslint/bin/eslint.js', ['.']);
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
