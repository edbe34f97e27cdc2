import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { productImages, products } from '../../src/shop/catalog/schema.ts';
import { nextAddress, signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, startTestShop, type TestShop } from '../support/shop.ts';

// Uploaded product pictures: only real PNG, JPEG or WebP files of at most 2 MB, from an admin, shown in the
// storefront at an address that never changes, and removable to go back to the drawn picture.

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid 2×1 PNG, one red and one green pixel. */
function tinyPng(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const pixels = deflateSync(Buffer.from([0, 255, 0, 0, 0, 255, 0]));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header), pngChunk('IDAT', pixels), pngChunk('IEND', Buffer.alloc(0))]);
}

type Upload = { filename: string; type: string; bytes: Buffer };

/** A multipart form as a browser sends it: the CSRF token, then the file. */
function multipart(token: string, file: Upload): { body: Buffer; contentType: string } {
  const boundary = '----pledge-test-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="picture"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

forEachDatabase('product pictures', (kind) => {
  let shop: TestShop;
  let admin: StaffClient;
  let support: StaffClient;
  let fulfilment: StaffClient;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_CATALOG_CACHE_MS: '0' } });
    [admin, support, fulfilment] = await Promise.all([signedInStaff(shop, ['admin']), signedInStaff(shop, ['support']), signedInStaff(shop, ['fulfilment'])]);
  });
  after(() => shop.stop());

  const productId = async (slug: string) => (await shop.database.db.select({ id: products.id }).from(products).where(eq(products.slug, slug)))[0]!.id;
  const storedPictures = (id: number) => shop.database.db.select().from(productImages).where(eq(productImages.productId, id));

  /** Posts `file` as the admin, as another member of staff (their cookie) or signed out (null). */
  async function upload(id: number, file: Upload, cookie: string | null = admin.cookie) {
    const csrf = await csrfFor(shop.app, '/admin/login');
    const form = multipart(csrf.token, file);
    return shop.app.inject({
      method: 'POST',
      url: `/admin/products/${id}/image`,
      remoteAddress: nextAddress(),
      headers: { cookie: [csrf.cookie, cookie].filter(Boolean).join('; '), 'content-type': form.contentType },
      payload: form.body,
    });
  }

  test('an uploaded PNG shows on the product page and the listing, served with its type and a long cache', async () => {
    const id = await productId('gentle-oat-cleanser');
    const png = tinyPng();
    const sent = await upload(id, { filename: 'cleanser.png', type: 'image/png', bytes: png });
    assert.equal(sent.statusCode, 303);
    assert.equal(sent.headers.location, `/admin/products/${id}`);
    const [stored] = await storedPictures(id);
    assert.equal(stored!.contentType, 'image/png');
    assert.deepEqual([stored!.width, stored!.height], [2, 1]);

    const url = `/images/products/uploads/${createHash('sha256').update(png).digest('hex')}.png`;
    const page = await shop.app.inject('/products/gentle-oat-cleanser');
    assert.ok(page.body.includes(`src="${url}"`), 'the product page shows the upload');
    assert.ok(!page.body.includes('/images/products/gentle-oat-cleanser.svg'));
    assert.ok((await shop.app.inject('/categories/skincare')).body.includes(`src="${url}"`), 'so does its listing card');
    assert.equal((await shop.app.inject('/api/store/products/gentle-oat-cleanser')).json().image, url, 'and the store API');
    assert.ok((await admin.get(`/admin/products/${id}`)).body.includes('Remove the uploaded picture'));

    const served = await shop.app.inject(url);
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/png');
    assert.equal(served.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(served.headers['x-content-type-options'], 'nosniff');
    assert.deepEqual(served.rawPayload, png);
    assert.equal((await shop.app.inject(`/images/products/uploads/${'0'.repeat(64)}.png`)).statusCode, 404);
  });

  test('anything but a PNG, JPEG or WebP of at most 2 MB is refused on the edit page, and nothing is stored', async () => {
    const id = await productId('vitamin-c-brightening-serum');
    const refusals: [string, Upload, number, string][] = [
      ['a text file named .png', { filename: 'notes.png', type: 'image/png', bytes: Buffer.from('not a picture at all\n') }, 400, 'This file is not a PNG, JPEG or WebP picture'],
      ['a GIF', { filename: 'dot.gif', type: 'image/gif', bytes: Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64') }, 400, 'This file is not a PNG, JPEG or WebP picture'],
      ['an empty file', { filename: 'empty.png', type: 'image/png', bytes: Buffer.alloc(0) }, 400, 'the file sent was empty'],
      ['a 3 MB file', { filename: 'big.png', type: 'image/png', bytes: Buffer.concat([tinyPng(), Buffer.alloc(3 * 1024 * 1024)]) }, 413, 'This file is larger than 2 MB'],
    ];
    for (const [what, file, status, message] of refusals) {
      const out = await upload(id, file);
      assert.equal(out.statusCode, status, what);
      assert.ok(out.body.includes(message), `${what}: ${message}`);
      assert.ok(out.body.includes('Upload picture'), `${what}: the edit page again`);
    }
    assert.deepEqual(await storedPictures(id), []);
    assert.ok((await shop.app.inject('/products/vitamin-c-brightening-serum')).body.includes('/images/products/vitamin-c-brightening-serum.svg'));
  });

  test('only an admin may upload or remove a picture', async () => {
    const id = await productId('hyaluronic-water-gel');
    for (const other of [support, fulfilment]) {
      assert.equal((await upload(id, { filename: 'p.png', type: 'image/png', bytes: tinyPng() }, other.cookie)).statusCode, 403);
    }
    const signedOut = await upload(id, { filename: 'p.png', type: 'image/png', bytes: tinyPng() }, null);
    assert.equal(signedOut.headers.location, '/admin/login');
    assert.deepEqual(await storedPictures(id), []);

    assert.equal((await upload(id, { filename: 'p.png', type: 'image/png', bytes: tinyPng() })).statusCode, 303);
    for (const other of [support, fulfilment]) assert.equal((await other.post(`/admin/products/${id}/image/remove`)).statusCode, 403);
    assert.equal((await storedPictures(id)).length, 1);
  });

  test('removing the upload brings back the drawn picture', async () => {
    const id = await productId('ceramide-barrier-cream');
    assert.equal((await upload(id, { filename: 'p.png', type: 'image/png', bytes: tinyPng() })).statusCode, 303);
    assert.ok((await shop.app.inject('/products/ceramide-barrier-cream')).body.includes('/images/products/uploads/'));
    const out = await admin.post(`/admin/products/${id}/image/remove`);
    assert.equal(out.statusCode, 303);
    assert.deepEqual(await storedPictures(id), []);
    const page = await shop.app.inject('/products/ceramide-barrier-cream');
    assert.ok(page.body.includes('src="/images/products/ceramide-barrier-cream.svg"'));
    assert.ok(!page.body.includes('/images/products/uploads/'));
  });
});
