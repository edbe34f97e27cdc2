import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoCategories, demoProducts } from '../../src/shop/catalog/demo-data.ts';
import { productImageSvg } from '../../src/shop/catalog/images.ts';
import { formatPrice } from '../../src/shop/catalog/service.ts';

test('the demo catalogue is a small cosmetics shop with valid, unique products', () => {
  assert.ok(demoProducts.length >= 40, `${demoProducts.length} products`);
  const slugs = new Set(demoProducts.map((p) => p.slug));
  assert.equal(slugs.size, demoProducts.length, 'slugs are unique');
  const categorySlugs = new Set(demoCategories.map((c) => c.slug));
  for (const slug of ['skincare', 'foundation', 'concealer', 'brushes']) assert.ok(categorySlugs.has(slug));
  for (const p of demoProducts) {
    assert.ok(categorySlugs.has(p.category), `${p.slug} has a known category`);
    assert.ok(Number.isInteger(p.priceCents) && p.priceCents > 0, `${p.slug} price`);
    assert.ok(Number.isInteger(p.stock) && p.stock >= 0, `${p.slug} stock`);
    assert.match(p.swatch, /^#[0-9a-f]{6}$/i);
    assert.match(p.slug, /^[a-z0-9-]+$/);
  }
});

test('product pictures are self-contained SVG and never carry markup from data', () => {
  const svg = productImageSvg('lips', '#a1283c');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /#a1283c/);
  assert.doesNotMatch(svg, /href|<script|<image/);
  const hostile = productImageSvg('unknown-category', '"/><script>alert(1)</script>');
  assert.doesNotMatch(hostile, /script/);
  assert.match(hostile, /#cccccc/);
});

test('prices are formatted from integer cents', () => {
  assert.equal(formatPrice(1600), '$16.00');
  assert.equal(formatPrice(5), '$0.05');
  assert.equal(formatPrice(123456), '$1,234.56');
});
