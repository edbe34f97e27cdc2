import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { privacyExports } from '../../src/privacy/requests/schema.ts';
import { subjectDocument } from '../../src/privacy/requests/service.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { csvFiles, zip } from '../../src/shop/privacy-center/bundle.ts';
import { prepareExport, privacyCenterContext, requestCopy } from '../../src/shop/privacy-center/service.ts';
import { customerDetails, paidOrder } from '../support/backoffice.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, linkFrom, startTestShop, type TestShop } from '../support/shop.ts';

// The copy as a zip of CSV files: it opens (read back here by a reader of our own that checks every CRC, and by
// `unzip -t`), holds one file per kind of record with every unit of the copy, plus the disclosure ledger and the
// staff reads, and the link is spent by it like by any other format.

/** The files of a zip, read through its central directory; each local header and CRC-32 is checked. */
function unzipped(archive: Buffer): Map<string, string> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'an end of central directory record');
  const count = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  const files = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    assert.equal(archive.readUInt32LE(at), 0x02014b50, 'a central directory entry');
    assert.equal(archive.readUInt16LE(at + 10), 0, 'stored');
    const crc = archive.readUInt32LE(at + 16);
    const size = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const extra = archive.readUInt16LE(at + 30) + archive.readUInt16LE(at + 32);
    const local = archive.readUInt32LE(at + 42);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    assert.equal(archive.readUInt32LE(local), 0x04034b50, `${name}: a local header`);
    const dataAt = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const data = archive.subarray(dataAt, dataAt + size);
    assert.equal(zlib.crc32(data), crc, `${name}: its CRC-32`);
    files.set(name, data.toString('utf8'));
    at += 46 + nameLength + extra;
  }
  return files;
}

test('the zip writer and the CSV quoting, by themselves', () => {
  const archive = zip([{ name: 'a.csv', content: 'x,y\r\n' }, { name: 'ü.csv', content: '"' }], new Date('2026-11-25T10:00:00Z'));
  assert.deepEqual([...unzipped(archive)], [['a.csv', 'x,y\r\n'], ['ü.csv', '"']]);
  const [account] = csvFiles({
    format: 'pledge-export/1',
    generatedAt: '2026-11-25T10:00:00.000Z',
    units: [{ kind: 'account', label: 'Your account', unitId: 'u1', data: { name: 'Ann, "Jr"', note: '=SUM(A1)', address: { city: 'Springfield' }, tags: ['a', 'b'] } }],
    disclosures: [],
    reads: [],
  });
  assert.equal(account!.content, 'unitId,name,note,address.city,tags\r\nu1,"Ann, ""Jr""",\'=SUM(A1),Springfield,a; b\r\n');
});

forEachDatabase('privacy copy as a zip of CSV files', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  test('the zip opens and holds every unit of the copy, the disclosures and the staff reads', async () => {
    const me = await signedInCustomer(shop, 'Cora Vance', 'cora@example.com');
    await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails('cora@example.com'));
    const ctx = privacyCenterContext(shop.runtime);
    const [account] = await shop.database.db.select({ emailIndex: customers.emailIndex }).from(customers).where(eq(customers.id, me.customerId));
    const expected = await subjectDocument(ctx, { customerId: me.customerId, emailIndex: account!.emailIndex });
    const requestId = (await requestCopy(ctx, me.customerId))!;
    const [pending] = await shop.database.db.select().from(privacyExports).where(eq(privacyExports.requestId, requestId));
    await prepareExport(ctx, pending!.id);
    const link = await linkFrom(shop, 'cora@example.com', /\/privacy-center\/copy\//);
    assert.match((await shop.app.inject(link)).body, /Download it as CSV files \(zip\)/);

    const csrf = await csrfFor(shop.app, '/privacy-center');
    const download = await shop.app.inject({ method: 'POST', url: link, headers: { cookie: csrf.cookie }, payload: { format: 'csv', _csrf: csrf.token } });
    assert.equal(download.statusCode, 200);
    assert.equal(download.headers['content-type'], 'application/zip');
    assert.equal(download.headers['cache-control'], 'no-store');
    assert.match(String(download.headers['content-disposition']), /^attachment; filename="pledge-data-\d{4}-\d{2}-\d{2}\.zip"$/);

    const files = unzipped(download.rawPayload);
    const kinds = [...new Set(expected.units.map((u) => u.kind))];
    assert.ok(kinds.includes('account') && kinds.includes('order'), `the copy has an account and an order: ${kinds.join(', ')}`);
    assert.deepEqual([...files.keys()].sort(), [...kinds.map((k) => `${k}.csv`), 'disclosures.csv', 'staff-reads.csv'].sort());
    for (const unit of expected.units) assert.match(files.get(`${unit.kind}.csv`)!, new RegExp(`^${unit.unitId},`, 'm'), `${unit.kind} ${unit.unitId} is in its file`);
    assert.match(files.get('account.csv')!, /Cora Vance/);
    assert.match(files.get('disclosures.csv')!, /^at,recipient,purpose,fields,unitId\r\n/);
    assert.equal(files.get('disclosures.csv')!.split('\r\n').length - 2, expected.disclosures.length, 'one line per disclosure');
    assert.ok(expected.disclosures.length > 0, 'the paid order was disclosed to the payment provider');
    assert.match(files.get('staff-reads.csv')!, /^at,staffRoles,purpose,fields,unitId\r\n/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-zip-'));
    try {
      fs.writeFileSync(path.join(dir, 'copy.zip'), download.rawPayload);
      const listing = execFileSync('unzip', ['-t', path.join(dir, 'copy.zip')], { encoding: 'utf8' });
      assert.match(listing, /No errors detected/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const again = await shop.app.inject({ method: 'POST', url: link, headers: { cookie: csrf.cookie }, payload: { format: 'csv', _csrf: csrf.token } });
    assert.equal(again.statusCode, 410, 'the link is spent');
  });
});
