import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoCategories, demoItems, demoProducts } from '../../src/shop/catalog/demo-data.ts';
import { productImageSvg } from '../../src/shop/catalog/images.ts';
import { formatPrice, variantLabel } from '../../src/shop/catalog/service.ts';

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

test('demo variants: each group is listed once, by the product that names it, with its own slug, stock and weight', () => {
  const items = demoItems();
  assert.equal(new Set(items.map((i) => i.slug)).size, items.length, 'slugs are unique across products and variants');
  assert.deepEqual(items.filter((i) => i.listed).map((i) => i.slug), demoProducts.map((p) => p.slug), 'the demo products are the listed ones, in order');
  for (const item of items) {
    assert.ok(Number.isInteger(item.weightGrams) && item.weightGrams > 0 && item.weightGrams <= 1000, `${item.slug} weighs ${item.weightGrams} g`);
    assert.match(item.swatch, /^#[0-9a-f]{6}$/i);
    assert.match(item.slug, /^[a-z0-9-]+$/);
  }
  const groups = Map.groupBy(items.filter((i) => i.variantGroup !== null), (i) => i.variantGroup!);
  assert.ok(groups.size >= 4, `${groups.size} groups`);
  for (const [group, members] of groups) {
    assert.deepEqual(members.map((m) => m.listed), [true, ...members.slice(1).map(() => false)], `${group}: its first member alone is listed`);
    assert.equal(members[0]!.slug, group, `${group}: the group is named after its listed product, so old links keep working`);
    assert.equal(new Set(members.map((m) => m.optionValue)).size, members.length, `${group}: option values differ`);
    assert.equal(new Set(members.map((m) => m.optionName)).size, 1, `${group}: one option`);
    assert.ok(members.every((m) => m.name === members[0]!.name && m.category === members[0]!.category), `${group}: one product`);
  }
  const shades = [...groups.values()].filter((m) => m[0]!.optionName === 'Shade');
  assert.ok(shades.some((m) => m.length >= 4 && m.some((v) => v.stock === 0) && new Set(m.map((v) => v.swatch)).size === m.length), 'a shade range with its own colours and one sold out');
  const sizes = [...groups.values()].filter((m) => m[0]!.optionName === 'Size');
  assert.ok(sizes.some((m) => new Set(m.map((v) => v.priceCents)).size === m.length), 'sizes at different prices');
  assert.ok(items.filter((i) => i.variantGroup === null).every((i) => i.optionName === null && i.optionValue === null && i.listed));
});

test('a variant is named by its option and value', () => {
  assert.equal(variantLabel({ optionName: 'Shade', optionValue: '02 Rose' }), 'Shade: 02 Rose');
  assert.equal(variantLabel({ optionName: null, optionValue: null }), undefined);
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
