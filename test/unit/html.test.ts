import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { escapeHtml, html, trusted } from '../../src/platform/http/html.ts';

test('interpolated values are escaped', () => {
  const name = `<script>alert("x")</script> & 'quotes' \`tick\``;
  assert.equal(
    html`<p title="${name}">${name}</p>`.value,
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; &#96;tick&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; &#96;tick&#96;</p>',
  );
});

test('nested templates and arrays are inserted as markup, nullish and false as nothing', () => {
  const items = ['a<b', 'c'];
  assert.equal(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>${null}${undefined}${false}${0}`.value, '<ul><li>a&lt;b</li><li>c</li></ul>0');
  assert.equal(html`${trusted('<br>')}`.value, '<br>');
});

test('no generated string can open a tag or break out of an attribute', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const out = escapeHtml(s);
      return !/[<>"'`]/.test(out) && !/&(?!amp;|lt;|gt;|quot;|#39;|#96;)/.test(out);
    }),
  );
});

test('same-origin check for forms on cached pages compares scheme and host, default ports included', async () => {
  const { sameOrigin } = await import('../../src/platform/http/app.ts');
  assert.equal(sameOrigin({ origin: 'http://localhost' }, 'http', 'localhost:80'), true);
  assert.equal(sameOrigin({ origin: 'https://shop.example.com' }, 'https', 'shop.example.com:443'), true);
  assert.equal(sameOrigin({ referer: 'https://shop.example.com/products/x' }, 'https', 'shop.example.com'), true);
  assert.equal(sameOrigin({ origin: 'http://shop.example.com' }, 'https', 'shop.example.com'), false, 'scheme matters');
  assert.equal(sameOrigin({ origin: 'https://shop.example.com.evil.example' }, 'https', 'shop.example.com'), false);
  assert.equal(sameOrigin({ origin: 'null' }, 'https', 'shop.example.com'), false);
  assert.equal(sameOrigin({}, 'https', 'shop.example.com'), false);
});

test('the preferred encoding follows Accept-Encoding, refusing q=0', async () => {
  const { preferredEncoding } = await import('../../src/platform/http/compression.ts');
  assert.equal(preferredEncoding(undefined), 'identity');
  assert.equal(preferredEncoding('gzip, deflate, br, zstd'), 'br');
  assert.equal(preferredEncoding('gzip'), 'gzip');
  assert.equal(preferredEncoding('br;q=0, gzip;q=0.8'), 'gzip');
  assert.equal(preferredEncoding('identity'), 'identity');
  assert.equal(preferredEncoding('GZIP'), 'gzip');
});
