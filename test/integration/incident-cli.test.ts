import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/platform/config.ts';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { inTransaction } from '../../src/platform/db/index.ts';
import { recordRead } from '../../src/privacy/audit/service.ts';
import { incidentNotices, incidentSteps } from '../../src/privacy/incidents/schema.ts';
import { openIncident } from '../../src/privacy/incidents/service.ts';
import { openShopRuntime } from '../../src/runtime.ts';
import { shopContext } from '../../src/shop/context.ts';
import { tickets } from '../../src/shop/tickets/schema.ts';
import { ContactForm, openTicket } from '../../src/shop/tickets/service.ts';
import { pledge } from '../support/cli.ts';
import { testEnv } from '../support/shop.ts';

// `pledge incident …` on the configured (PGlite) database: the register and one incident's trail for the operator,
// with the regulator's deadline in the incident's zone; and the page's steps — open, move on, find the affected
// subjects, write to them — with usage errors (exit 2) naming the flag, and refusals (exit 1) saying why.

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

test('incident open, step, affected and notify, as on the page', async () => {
  const suspect = randomUUID();
  const runtime = await openShopRuntime(loadConfig(env));
  try {
    // A customer's ticket whose name and address a staff account read inside the window.
    await runtime.jobs.start({ work: false });
    const ctx = shopContext(runtime);
    const ticket = await openTicket(ctx, ContactForm.parse({ name: 'Mary', email: 'mary.affected@example.com', topic: 'other', message: 'Hello' }), undefined);
    const [{ unitId }] = (await runtime.database.db.select({ unitId: tickets.unitId }).from(tickets).where(eq(tickets.id, ticket.ticketId))) as [{ unitId: string }];
    const at = { now: () => new Date('2026-02-03T08:30:00Z') };
    await inTransaction(runtime.database.db, (tx) => recordRead({ clock: at }, tx, { actor: { kind: 'staff', staffId: suspect, roles: ['support'] }, subject: { unitId, kind: 'ticket' }, fields: ['name', 'email'], purpose: 'customer_support' }));
  } finally {
    await runtime.close();
  }

  const missing = run(['incident', 'open', '--zone', 'Europe/Berlin']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--summary: Say what happened/);
  assert.match(missing.stderr, /--column: Choose the data affected/);
  assert.match(missing.stderr, /usage: pledge incident list/);
  assert.match(run(['incident', 'open', '--to', 'closed']).stderr, /--to goes with step/);
  const opened = run(['incident', 'open', '--summary', 'A support login was shared', '--consequences', 'Contact details seen by a stranger', '--column', 'ticket.email', '--column', 'ticket.name', '--staff', suspect, '--zone', 'Europe/Berlin', '--from', '2026-02-03T09:00', '--until', '2026-02-03T10:00', '--discovered', '2026-02-04T09:00']);
  assert.equal(opened.code, 0, opened.stderr);
  assert.match(opened.stdout, /opened in triage; notify the regulator by 2026-02-07 09:00 GMT\+1 \(08:00 UTC\)/);
  const id = /incident ([0-9a-f-]{36}) opened/.exec(opened.stdout)![1]!;

  const noNote = run(['incident', 'step', id, '--to', 'contained']);
  assert.equal(noNote.code, 2);
  assert.match(noNote.stderr, /--note: Say what was done/);
  const back = run(['incident', 'step', id, '--to', 'triage', '--note', 'Back']);
  assert.equal(back.code, 1);
  assert.match(back.stderr, /An incident in triage cannot move to triage/);
  assert.equal(run(['incident', 'step', id, '--to', 'contained', '--note', 'The shared login was closed']).code, 0);
  assert.equal(run(['incident', 'step', '00000000-0000-4000-8000-000000000000', '--to', 'contained', '--note', 'x']).code, 1);

  const early = run(['incident', 'notify', id]);
  assert.equal(early.code, 1);
  assert.match(early.stderr, /find the affected subjects first/);
  const affected = run(['incident', 'affected', id]);
  assert.equal(affected.code, 0, affected.stderr);
  assert.match(affected.stdout, /^1 subjects found\n {2}Account and contact details \(name, e-mail, phone\): 1 subjects, 1 records$/m);
  const notified = run(['incident', 'notify', id]);
  assert.equal(notified.code, 0, notified.stderr);
  assert.match(notified.stdout, /^1 customers written to; 0 records notified before; 0 with no address left$/m);
  assert.match(run(['incident', 'notify', id]).stdout, /^0 customers written to; 1 records notified before/m);

  const check = await openShopRuntime(loadConfig(env));
  try {
    const notices = await check.database.db.select().from(incidentNotices).where(eq(incidentNotices.incidentId, id));
    assert.equal(notices.length, 1);
    const steps = await check.database.db.select().from(incidentSteps).where(eq(incidentSteps.incidentId, id));
    assert.deepEqual(steps.map((s) => [s.step, s.staffId]), [['triage', null], ['contained', null], ['affected', null], ['notices', null], ['notices', null]]);
  } finally {
    await check.close();
  }
  const report = run(['retention', 'report']);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /^incident: 2 held \(kept at least none, at most 5 years after the incident being closed\)$/m);
  assert.match(report.stdout, /^security_alert: 0 held \(kept at least none, at most 1 year after the alert being raised/m);
});
