// The demo catalogue: a small cosmetics shop with invented brands. Prices in cents (USD).

export type DemoCategory = { slug: string; name: string; description: string };
export type DemoProduct = {
  slug: string;
  name: string;
  brand: string;
  category: string;
  summary: string;
  description: string;
  priceCents: number;
  stock: number;
  swatch: string;
  /** Packed weight of one unit, for the parcel. */
  weightGrams: number;
  /** Sold in several shades or sizes: the option's name, this product's own value, and its siblings in page order. */
  variants?: { option: string; value: string; others: DemoVariant[] };
};

/** A sibling of a demo product: its own slug, value and stock; anything else not given is the product's. */
export type DemoVariant = { slug: string; value: string; stock: number } & Partial<Pick<DemoProduct, 'priceCents' | 'swatch' | 'weightGrams' | 'description'>>;

/** One product row as seeded: a demo product or one of its variants, grouped under the listed product's slug. */
export type DemoItem = Omit<DemoProduct, 'variants'> & {
  variantGroup: string | null;
  optionName: string | null;
  optionValue: string | null;
  listed: boolean;
};

export const demoCategories: DemoCategory[] = [
  { slug: 'skincare', name: 'Skincare', description: 'Cleansers, serums and moisturisers for every skin type.' },
  { slug: 'foundation', name: 'Foundation', description: 'Liquid, cream and stick foundations in a wide range of shades.' },
  { slug: 'concealer', name: 'Concealer', description: 'Lightweight and full-coverage concealers for spots, shadows and redness.' },
  { slug: 'lips', name: 'Lips', description: 'Lipsticks, balms and glosses.' },
  { slug: 'eyes', name: 'Eyes', description: 'Mascaras, liners and shadow palettes.' },
  { slug: 'brushes', name: 'Brushes & tools', description: 'Synthetic brushes and sponges that are kind to skin.' },
];

export const demoProducts: DemoProduct[] = [
  { slug: 'gentle-oat-cleanser', name: 'Gentle Oat Cleanser', brand: 'Fieldhouse', category: 'skincare', summary: 'A creamy, soap-free face wash with colloidal oat.', description: 'Lifts make-up and sunscreen without leaving skin tight. Colloidal oat and glycerin calm and hydrate; suitable for sensitive skin. 150 ml.', priceCents: 1600, stock: 120, swatch: '#e9dcc3', weightGrams: 185,
    variants: {
    option: 'Size', value: '150 ml', others: [
      { slug: 'gentle-oat-cleanser-400-ml', value: '400 ml', priceCents: 3200, stock: 45, weightGrams: 450, description: 'Lifts make-up and sunscreen without leaving skin tight. Colloidal oat and glycerin calm and hydrate; suitable for sensitive skin. 400 ml pump bottle.' },
    ] } },
  { slug: 'vitamin-c-brightening-serum', name: 'Vitamin C Brightening Serum', brand: 'Verity Skin', category: 'skincare', summary: '15% ascorbic acid with ferulic acid and vitamin E.', description: 'A stable, fast-absorbing serum that evens tone and boosts radiance. Use in the morning under sunscreen. 30 ml.', priceCents: 3800, stock: 64, swatch: '#f2b544', weightGrams: 110,
    variants: {
    option: 'Size', value: '30 ml', others: [
      { slug: 'vitamin-c-brightening-serum-50-ml', value: '50 ml', priceCents: 5600, stock: 30, weightGrams: 150, description: 'A stable, fast-absorbing serum that evens tone and boosts radiance. Use in the morning under sunscreen. 50 ml.' },
    ] } },
  { slug: 'hyaluronic-water-gel', name: 'Hyaluronic Water Gel', brand: 'Maru Botanics', category: 'skincare', summary: 'An oil-free gel moisturiser with three weights of hyaluronic acid.', description: 'Sinks in instantly and keeps skin plump all day. A good base for make-up. 50 ml.', priceCents: 2900, stock: 85, swatch: '#9fd3e6', weightGrams: 95 },
  { slug: 'ceramide-barrier-cream', name: 'Ceramide Barrier Cream', brand: 'Fieldhouse', category: 'skincare', summary: 'A rich night cream that restores dry, stressed skin.', description: 'Ceramides, cholesterol and fatty acids in the ratio skin uses itself, with squalane for comfort. 50 ml.', priceCents: 3400, stock: 40, swatch: '#f4efe6', weightGrams: 140 },
  { slug: 'niacinamide-clarifying-toner', name: 'Niacinamide Clarifying Toner', brand: 'Verity Skin', category: 'skincare', summary: '5% niacinamide to refine pores and balance oil.', description: 'An alcohol-free toner with zinc and willow bark. Sweep over clean skin morning and night. 200 ml.', priceCents: 2200, stock: 90, swatch: '#c8e0c0', weightGrams: 235 },
  { slug: 'mineral-sunscreen-spf-50', name: 'Mineral Sunscreen SPF 50', brand: 'Atelier Nine', category: 'skincare', summary: 'Broad-spectrum zinc oxide protection with a sheer tint.', description: 'Blends without a white cast on most skin tones. Water-resistant for 40 minutes. 50 ml.', priceCents: 3000, stock: 150, swatch: '#efd3b5', weightGrams: 80 },
  { slug: 'retinal-renewal-serum', name: 'Retinal Renewal Serum', brand: 'Maru Botanics', category: 'skincare', summary: '0.05% retinaldehyde for smoother texture.', description: 'Gentler than retinol at equal strength, buffered with bakuchiol and panthenol. Evening use only. 30 ml.', priceCents: 4600, stock: 35, swatch: '#e7a96b', weightGrams: 105 },
  { slug: 'peptide-eye-cream', name: 'Peptide Eye Cream', brand: 'Lumen & Oak', category: 'skincare', summary: 'Firms and de-puffs the delicate eye area.', description: 'Copper peptides and caffeine in a light cream with a cooling metal tip. 15 ml.', priceCents: 3600, stock: 48, swatch: '#d8c7e8', weightGrams: 45 },
  { slug: 'cleansing-balm', name: 'Melting Cleansing Balm', brand: 'Lumen & Oak', category: 'skincare', summary: 'A solid balm that turns to oil and rinses clean.', description: 'Dissolves waterproof mascara and long-wear foundation. Fragrance-free. 100 ml.', priceCents: 2800, stock: 70, swatch: '#f6d7c9', weightGrams: 160 },
  { slug: 'lactic-acid-night-peel', name: 'Lactic Acid Night Peel', brand: 'Verity Skin', category: 'skincare', summary: '10% lactic acid for a gentle overnight exfoliation.', description: 'Brightens dull skin while you sleep. Use two or three nights a week. 30 ml.', priceCents: 2600, stock: 55, swatch: '#f3e1a6', weightGrams: 100 },
  { slug: 'second-skin-foundation', name: 'Second Skin Foundation', brand: 'Atelier Nine', category: 'foundation', summary: 'A natural, satin-finish liquid foundation.', description: 'Buildable light-to-medium coverage that looks like skin. Five shades, light to deep. 30 ml.', priceCents: 3900, stock: 110, swatch: '#d9a38b', weightGrams: 120,
    variants: {
    option: 'Shade', value: '1N Light', others: [
      { slug: 'second-skin-foundation-2w-light-medium', value: '2W Light Medium', swatch: '#cf9a78', stock: 84 },
      { slug: 'second-skin-foundation-3w-medium', value: '3W Medium', swatch: '#bb8560', stock: 52 },
      { slug: 'second-skin-foundation-4n-tan', value: '4N Tan', swatch: '#9c6a48', stock: 0 },
      { slug: 'second-skin-foundation-5c-deep', value: '5C Deep', swatch: '#6f4631', stock: 23 },
    ] } },
  { slug: 'matte-endurance-foundation', name: 'Matte Endurance Foundation', brand: 'Lumen & Oak', category: 'foundation', summary: 'Full-coverage matte foundation that lasts 24 hours.', description: 'Transfer-resistant and sweat-proof, with a soft, non-flat finish. 30 ml.', priceCents: 4200, stock: 95, swatch: '#b07a5a', weightGrams: 120 },
  { slug: 'dewy-skin-tint', name: 'Dewy Skin Tint', brand: 'Maru Botanics', category: 'foundation', summary: 'A sheer tint with hyaluronic acid and SPF 20.', description: 'Evens tone with a fresh glow. Twelve adaptable shades. 40 ml.', priceCents: 3200, stock: 130, swatch: '#e6b99a', weightGrams: 65 },
  { slug: 'cream-stick-foundation', name: 'Cream Stick Foundation', brand: 'Fieldhouse', category: 'foundation', summary: 'Foundation and contour in one twist-up stick.', description: 'Glide on, blend with fingers or a brush. Medium coverage, natural finish. 9 g.', priceCents: 3600, stock: 60, swatch: '#8d5a3e', weightGrams: 35 },
  { slug: 'serum-foundation', name: 'Serum Foundation', brand: 'Verity Skin', category: 'foundation', summary: 'Weightless coverage in a skincare serum base.', description: 'Squalane and niacinamide care for skin while the pigment blurs. 30 ml.', priceCents: 4400, stock: 75, swatch: '#c48f6f', weightGrams: 115 },
  { slug: 'powder-foundation', name: 'Pressed Powder Foundation', brand: 'Atelier Nine', category: 'foundation', summary: 'Talc-free pressed powder with medium coverage.', description: 'Controls shine for oily skin; apply with a brush or the included sponge. 10 g.', priceCents: 3400, stock: 58, swatch: '#e0b08f', weightGrams: 55 },
  { slug: 'longwear-cushion-compact', name: 'Long-wear Cushion Compact', brand: 'Lumen & Oak', category: 'foundation', summary: 'A refillable cushion compact for on-the-go touch-ups.', description: 'Light, luminous coverage with SPF 30 and a refill included. 15 g.', priceCents: 4800, stock: 42, swatch: '#f0c6a8', weightGrams: 90 },
  { slug: 'radiant-creamy-concealer', name: 'Radiant Creamy Concealer', brand: 'Atelier Nine', category: 'concealer', summary: 'A brightening concealer for under-eye shadows.', description: 'Medium coverage with light-reflecting pigments; creaseless for 16 hours. 6 ml.', priceCents: 2800, stock: 140, swatch: '#f1c9a5', weightGrams: 25,
    variants: {
    option: 'Shade', value: '10 Fair', others: [
      { slug: 'radiant-creamy-concealer-20-light', value: '20 Light', swatch: '#e4b68f', stock: 96 },
      { slug: 'radiant-creamy-concealer-30-medium', value: '30 Medium', swatch: '#c9946c', stock: 61 },
      { slug: 'radiant-creamy-concealer-40-tan', value: '40 Tan', swatch: '#a5704c', stock: 6 },
    ] } },
  { slug: 'full-cover-concealer', name: 'Full Cover Concealer', brand: 'Lumen & Oak', category: 'concealer', summary: 'Covers spots, tattoos and redness in one layer.', description: 'A highly pigmented matte formula that stays put. 5 ml.', priceCents: 2600, stock: 100, swatch: '#c68c63', weightGrams: 22 },
  { slug: 'colour-correcting-duo', name: 'Colour Correcting Duo', brand: 'Fieldhouse', category: 'concealer', summary: 'Peach and green correctors in one compact.', description: 'Peach neutralises dark circles, green calms redness. Apply before concealer. 4 g.', priceCents: 2400, stock: 45, swatch: '#a7c9a0', weightGrams: 30 },
  { slug: 'hydrating-under-eye-concealer', name: 'Hydrating Under-eye Concealer', brand: 'Maru Botanics', category: 'concealer', summary: 'Caffeine and hyaluronic acid in a flexible concealer.', description: 'Smooths and brightens without settling into lines. 7 ml.', priceCents: 2700, stock: 88, swatch: '#e8bd98', weightGrams: 28 },
  { slug: 'precision-concealer-pencil', name: 'Precision Concealer Pencil', brand: 'Verity Skin', category: 'concealer', summary: 'A fine-tipped pencil for pinpoint coverage.', description: 'Creamy and blendable, for blemishes and sharpening lip lines. 1.4 g.', priceCents: 1800, stock: 66, swatch: '#d7a07a', weightGrams: 10 },
  { slug: 'setting-powder', name: 'Translucent Setting Powder', brand: 'Atelier Nine', category: 'concealer', summary: 'A finely milled powder that locks concealer in place.', description: 'Blurs without flashback in photos. 8 g.', priceCents: 3000, stock: 77, swatch: '#f7efe4', weightGrams: 45 },
  { slug: 'velvet-matte-lipstick', name: 'Velvet Matte Lipstick', brand: 'Lumen & Oak', category: 'lips', summary: 'A comfortable matte lipstick in rich colour.', description: 'One swipe, full colour, no dryness, thanks to shea butter and jojoba. 3.5 g.', priceCents: 2400, stock: 120, swatch: '#a1283c', weightGrams: 28,
    variants: {
    option: 'Shade', value: '01 Ruby', others: [
      { slug: 'velvet-matte-lipstick-02-rose', value: '02 Rose', swatch: '#c25a70', stock: 74 },
      { slug: 'velvet-matte-lipstick-03-mauve', value: '03 Mauve', swatch: '#9b5f72', stock: 58 },
      { slug: 'velvet-matte-lipstick-04-brick', value: '04 Brick', swatch: '#9a3b2b', stock: 3 },
      { slug: 'velvet-matte-lipstick-05-plum', value: '05 Plum', swatch: '#6b2a47', stock: 0 },
    ] } },
  { slug: 'tinted-lip-balm', name: 'Tinted Lip Balm', brand: 'Fieldhouse', category: 'lips', summary: 'A sheer wash of colour with SPF 15.', description: 'Nourishing balm with a hint of rose. 4 g.', priceCents: 1400, stock: 200, swatch: '#d9777f', weightGrams: 15 },
  { slug: 'glass-lip-gloss', name: 'Glass Lip Gloss', brand: 'Maru Botanics', category: 'lips', summary: 'A non-sticky, high-shine gloss.', description: 'Wear alone or over lipstick for a glassy finish. 6 ml.', priceCents: 1900, stock: 90, swatch: '#f0a7b5', weightGrams: 30 },
  { slug: 'satin-lipstick', name: 'Satin Lipstick', brand: 'Atelier Nine', category: 'lips', summary: 'A creamy satin lipstick with a soft sheen.', description: 'Medium coverage and a comfortable wear of six hours. 3.5 g.', priceCents: 2600, stock: 80, swatch: '#c4545e', weightGrams: 28 },
  { slug: 'lip-liner-nude', name: 'Precision Lip Liner', brand: 'Verity Skin', category: 'lips', summary: 'A waterproof liner that defines and prevents feathering.', description: 'Built-in sharpener. 0.35 g.', priceCents: 1600, stock: 110, swatch: '#b86b5e', weightGrams: 8 },
  { slug: 'overnight-lip-mask', name: 'Overnight Lip Mask', brand: 'Maru Botanics', category: 'lips', summary: 'A berry-scented mask that repairs dry lips overnight.', description: 'Apply a thick layer before bed; wake to smooth, soft lips. 15 g.', priceCents: 2200, stock: 65, swatch: '#8f3a5a', weightGrams: 40 },
  { slug: 'lengthening-mascara', name: 'Lengthening Mascara', brand: 'Lumen & Oak', category: 'eyes', summary: 'Separates and lengthens every lash.', description: 'A tubing formula that washes off with warm water. 8 ml.', priceCents: 2400, stock: 150, swatch: '#1d1d22', weightGrams: 30 },
  { slug: 'volume-mascara', name: 'Volume Mascara', brand: 'Atelier Nine', category: 'eyes', summary: 'Dramatic volume without clumps.', description: 'A full-bodied brush deposits colour from root to tip. 10 ml.', priceCents: 2600, stock: 130, swatch: '#2b2b30', weightGrams: 35 },
  { slug: 'gel-eyeliner-pencil', name: 'Gel Eyeliner Pencil', brand: 'Verity Skin', category: 'eyes', summary: 'An intense, smudge-proof gel pencil.', description: 'Glides on the waterline and sets in 30 seconds. 1.2 g.', priceCents: 1800, stock: 95, swatch: '#3c2a21', weightGrams: 10 },
  { slug: 'warm-neutrals-palette', name: 'Warm Neutrals Eyeshadow Palette', brand: 'Lumen & Oak', category: 'eyes', summary: 'Twelve mattes and shimmers in warm browns.', description: 'Buttery, blendable shades for everyday and evening looks. 12 × 1.2 g.', priceCents: 4200, stock: 50, swatch: '#a8704a', weightGrams: 120 },
  { slug: 'brow-shaping-gel', name: 'Brow Shaping Gel', brand: 'Fieldhouse', category: 'eyes', summary: 'A clear gel that holds brows all day.', description: 'Flexible hold without flaking. 4.5 ml.', priceCents: 1700, stock: 105, swatch: '#d8d2c4', weightGrams: 20 },
  { slug: 'liquid-eyeliner', name: 'Liquid Eyeliner', brand: 'Atelier Nine', category: 'eyes', summary: 'A felt-tip liner for crisp wings.', description: 'Waterproof, matte black, with a flexible fine tip. 0.6 ml.', priceCents: 2000, stock: 85, swatch: '#111114', weightGrams: 12 },
  { slug: 'foundation-brush', name: 'Flat Foundation Brush', brand: 'Atelier Nine', category: 'brushes', summary: 'Dense synthetic bristles for a streak-free finish.', description: 'Works with liquid and cream foundations. Vegan and cruelty-free.', priceCents: 2800, stock: 60, swatch: '#c9b79c', weightGrams: 45 },
  { slug: 'concealer-brush', name: 'Precision Concealer Brush', brand: 'Lumen & Oak', category: 'brushes', summary: 'A small tapered brush for targeted coverage.', description: 'Soft synthetic fibres blend concealer into the skin. Vegan.', priceCents: 1800, stock: 72, swatch: '#a3927a', weightGrams: 20 },
  { slug: 'powder-brush', name: 'Fluffy Powder Brush', brand: 'Fieldhouse', category: 'brushes', summary: 'A large, airy brush for powder and bronzer.', description: 'Diffuses product for a soft, natural look.', priceCents: 3200, stock: 40, swatch: '#e3d5bf', weightGrams: 55 },
  { slug: 'blending-sponge', name: 'Blending Sponge', brand: 'Maru Botanics', category: 'brushes', summary: 'A latex-free sponge for a flawless, airbrushed finish.', description: 'Use damp with liquid or cream products. Washable and reusable.', priceCents: 1200, stock: 180, swatch: '#f07c9b', weightGrams: 12 },
  { slug: 'eyeshadow-brush-set', name: 'Eyeshadow Brush Set', brand: 'Verity Skin', category: 'brushes', summary: 'Four essential eye brushes in a travel pouch.', description: 'Shader, crease, smudger and angled liner brushes.', priceCents: 3600, stock: 38, swatch: '#7b6a8f', weightGrams: 95 },
  { slug: 'brush-cleansing-soap', name: 'Brush Cleansing Soap', brand: 'Fieldhouse', category: 'brushes', summary: 'A solid soap that deep-cleans brushes and sponges.', description: 'Comes with a silicone scrubbing pad. 60 g.', priceCents: 1500, stock: 0, swatch: '#bfe3d0', weightGrams: 80 },
];

function single(product: Omit<DemoProduct, 'variants'>): DemoItem {
  return { ...product, variantGroup: null, optionName: null, optionValue: null, listed: true };
}

/** Every product row of the demo catalogue: each product, then its variants, which share its slug as their group. */
export function demoItems(): DemoItem[] {
  return demoProducts.flatMap(({ variants, ...product }) => {
    if (!variants) return [single(product)];
    const group = { variantGroup: product.slug, optionName: variants.option };
    return [
      { ...product, ...group, optionValue: variants.value, listed: true },
      ...variants.others.map(({ value, ...own }) => ({ ...product, ...own, ...group, optionValue: value, listed: false })),
    ];
  });
}

/** A demo product on its own, without its variants (for generated load-test products). */
export function withoutVariants({ variants: _variants, ...product }: DemoProduct): DemoItem {
  return single(product);
}
