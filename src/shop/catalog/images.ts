import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { productImages } from './schema.ts';

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

// ── uploaded pictures ────────────────────────────────────────────────────────────────────────────────────────────

export const MAX_PICTURE_BYTES = 2 * 1024 * 1024;

/** What an upload turned out to be, read from its first bytes: the file name and the declared type are not trusted. */
export type PictureFormat = { contentType: 'image/png' | 'image/jpeg' | 'image/webp'; width: number; height: number };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function jpegSize(bytes: Buffer): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1]!;
    // Start-of-frame markers C0–CF carry the size; C4, C8 and CC are other tables.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return undefined;
}

function webpSize(bytes: Buffer): { width: number; height: number } | undefined {
  const chunk = bytes.toString('latin1', 12, 16);
  if (chunk === 'VP8 ' && bytes.length >= 30) return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const bits = bytes.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && bytes.length >= 30) return { width: bytes.readUIntLE(24, 3) + 1, height: bytes.readUIntLE(27, 3) + 1 };
  return undefined;
}

/** PNG, JPEG or WebP with a readable size, or undefined for anything else. */
export function pictureFormat(bytes: Buffer): PictureFormat | undefined {
  let size: { width: number; height: number } | undefined;
  let contentType: PictureFormat['contentType'];
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(PNG_SIGNATURE) && bytes.toString('latin1', 12, 16) === 'IHDR') {
    contentType = 'image/png';
    size = { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  } else if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    contentType = 'image/jpeg';
    size = jpegSize(bytes);
  } else if (bytes.length >= 16 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    contentType = 'image/webp';
    size = webpSize(bytes);
  } else {
    return undefined;
  }
  return size && size.width > 0 && size.height > 0 ? { contentType, ...size } : undefined;
}

/** The uploaded picture's file name (`<sha256>.png`), or null for a product that shows its generated one; one column of the same query. */
export const uploadedPictureFile = (productId: AnyColumn | SQL) =>
  sql<string | null>`(select ${productImages.sha256} || '.' || split_part(${productImages.contentType}, '/', 2) from ${productImages} where ${productImages.productId} = ${productId})`;

export const UPLOADED_PICTURE_FILE = /^([0-9a-f]{64})\.(png|jpeg|webp)$/;

/** Where a product's picture is: the uploaded one when there is one, the generated one otherwise. */
export function pictureUrl(product: { slug: string; picture: string | null }): string {
  return product.picture ? `/images/products/uploads/${product.picture}` : `/images/products/${product.slug}.svg`;
}
