import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

// Pages served to everyone from memory are compressed once, when cached, and sent in whichever encoding the
// browser accepts: a 12 kB listing travels as about 2 kB, at no per-request cost.

export type CompressedPage = { identity: Buffer; gzip: Buffer; br: Buffer };

export function compressPage(bytes: Buffer): CompressedPage {
  return {
    identity: bytes,
    gzip: zlib.gzipSync(bytes, { level: 6 }),
    // Quality 5, not 11: a page is compressed on every cache fill, including for each new search term.
    br: zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }),
  };
}

/** The best encoding the Accept-Encoding header allows (an encoding with q=0 is refused). */
export function preferredEncoding(header: string | undefined): 'br' | 'gzip' | 'identity' {
  if (!header) return 'identity';
  const accepted = new Set<string>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return 'identity';
}

export function sendCompressed(request: FastifyRequest, reply: FastifyReply, page: CompressedPage, type: string) {
  const encoding = preferredEncoding(request.headers['accept-encoding']);
  reply.header('vary', 'accept-encoding').type(type);
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  return reply.send(page[encoding]);
}
