import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LOCK_FILE, openDatabase } from '../../src/platform/db/index.ts';

// PGlite is one process's database: a second process on the same data directory is refused, not let in to
// corrupt it.

test('a PGlite data directory is locked to one process; a stale lock is taken over', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-lock-'));
  try {
    const first = await openDatabase({ dataDir: dir });
    assert.equal(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'), String(process.pid));
    // Another process, as a CLI command would be, while the first still has it open.
    const child = spawn(process.execPath, ['--input-type=module', '-e', `import('${path.resolve('src/platform/db/index.ts')}').then((m) => m.openDatabase({ dataDir: ${JSON.stringify(dir)} })).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(3); })`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 3);
    assert.match(stderr, new RegExp(`in use by process ${process.pid}`));
    await first.close();
    assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)), 'closing releases the lock');

    fs.writeFileSync(path.join(dir, LOCK_FILE), '2147483646'); // no such process
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
