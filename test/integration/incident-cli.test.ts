import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/platform/config.ts';
import { openIncident } from '../../src/privacy/incidents/service.ts';
import { openShopRuntime } from '../../src/runtime.ts';
import { pledge } from '../support/cli.ts';
import { testEnv } from '../support/shop.ts';

// `pledge incident list|show` on the configured (PGlite) database: the register and one incident's trail for the
// operator, with the regulator's deadline in the incident's zone.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-incident-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const env = testEnv(dir);
const run = (args: string[]) => pledge(args, env);

test('incident list and show', async () => {
  const runtime = await openShopRuntime(loadConfig(env));
  let id: string;
  try {
    const opened = await openIncident({ db: runtime.database.db, clock: runtime.clock }, null, {
      summary: 'Backup copied to a public bucket',
      consequences: 'Order records readable by anyone with the link',
      columns: 'order.number',
      zone: 'Europe/Berlin',
      windowStart: '2026-01-01T08:00',
      windowEnd: '2026-01-01T09:00',
      discoveredAt: '2026-01-02T10:00',
    });
    assert.ok(opened.ok);
    id = opened.value.id;
  } finally {
    await runtime.close();
  }

  assert.equal(run(['incident']).code, 2);
  assert.equal(run(['incident', 'show', 'not-an-id']).code, 2);
  assert.equal(run(['incident', 'list', id]).code, 2);
  const listed = run(['incident', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`${id} {2}triage +discovered 2026-01-02 10:00 GMT\\+1 \\(09:00 UTC\\) {2}notify by 2026-01-05 10:00 GMT\\+1 \\(09:00 UTC\\) {2}OVERDUE`));
  assert.match(listed.stdout, /1 incidents/);
  const shown = run(['incident', 'show', id]);
  assert.equal(shown.code, 0, shown.stderr);
  const incident = JSON.parse(shown.stdout);
  assert.equal(incident.notifyBy, '2026-01-05T09:00:00.000Z');
  assert.deepEqual(incident.steps.map((s: { step: string; by: string }) => [s.step, s.by]), [['triage', 'operator']]);
  assert.equal(run(['incident', 'show', '00000000-0000-4000-8000-000000000000']).code, 1);
});
