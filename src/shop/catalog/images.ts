// Product pictures are drawn, not downloaded: a simple package shape per category in the product's own colour.
// Nothing is fetched at run time, and the same product always gets the same picture.

const SHAPES: Record<string, (c: string) => string> = {
  // a pump bottle
  skincare: (c) =>
    `<rect x="86" y="40" width="28" height="22" rx="3" fill="#3d3a36"/><rect x="96" y="24" width="40" height="8" rx="3" fill="#3d3a36"/><rect x="98" y="28" width="4" height="14" fill="#3d3a36"/><rect x="62" y="62" width="76" height="118" rx="18" fill="${c}" stroke="#00000022" stroke-width="2"/><rect x="74" y="100" width="52" height="40" rx="4" fill="#ffffffaa"/>`,
  // a glass foundation bottle
  foundation: (c) =>
    `<rect x="84" y="34" width="32" height="36" rx="4" fill="#2f2d2b"/><rect x="58" y="70" width="84" height="110" rx="10" fill="${c}" stroke="#00000022" stroke-width="2"/><rect x="70" y="120" width="60" height="30" rx="3" fill="#ffffffb0"/>`,
  // a doe-foot wand tube
  concealer: (c) =>
    `<rect x="86" y="24" width="28" height="70" rx="8" fill="#2f2d2b"/><rect x="80" y="94" width="40" height="90" rx="10" fill="${c}" stroke="#00000022" stroke-width="2"/>`,
  // a lipstick bullet
  lips: (c) =>
    `<path d="M84 60 L84 40 Q100 22 116 34 L116 60 Z" fill="${c}"/><rect x="80" y="60" width="40" height="24" rx="2" fill="#c9a86a"/><rect x="74" y="84" width="52" height="100" rx="6" fill="#2f2d2b"/>`,
  // a mascara / liner tube
  eyes: (c) =>
    `<rect x="90" y="20" width="20" height="80" rx="6" fill="#2f2d2b"/><rect x="86" y="100" width="28" height="86" rx="8" fill="${c}" stroke="#00000033" stroke-width="2"/>`,
  // a brush
  brushes: (c) =>
    `<path d="M76 28 Q100 10 124 28 L116 78 L84 78 Z" fill="${c}"/><rect x="84" y="78" width="32" height="26" fill="#b9b4ac"/><rect x="92" y="104" width="16" height="84" rx="8" fill="#2f2d2b"/>`,
};

const SAFE_COLOUR = /^#[0-9a-fA-F]{6}$/;

export function productImageSvg(categorySlug: string, swatch: string): string {
  const colour = SAFE_COLOUR.test(swatch) ? swatch : '#cccccc';
  const shape = (SHAPES[categorySlug] ?? SHAPES.skincare!)(colour);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" role="img"><rect width="200" height="200" fill="#f7f3ee"/><ellipse cx="100" cy="188" rx="60" ry="6" fill="#00000014"/>${shape}</svg>`;
}
