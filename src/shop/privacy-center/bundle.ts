import zlib from 'node:zlib';
import type { ExportDocument } from '../../privacy/requests/service.ts';

// The copy as a zip of CSV files, for spreadsheets: one file per kind of record (account, orders, e-mails…), one
// for who received which details, one for which staff read them. The zip is written here, stored uncompressed
// (the STORE method), so the shop needs no zip library: a local header before each file, a central directory after.

export type BundleFile = { name: string; content: string };

/** One CSV file per unit kind, then the disclosure ledger and the staff reads, from the same document as the JSON. */
export function csvFiles(document: ExportDocument): BundleFile[] {
  const kinds = [...new Set(document.units.map((u) => u.kind))];
  return [
    ...kinds.map((kind) => ({
      name: `${kind}.csv`,
      content: csv(document.units.filter((u) => u.kind === kind).map((u) => ({ unitId: u.unitId, ...flatten(u.data) }))),
    })),
    { name: 'disclosures.csv', content: csv(document.disclosures.map((d) => ({ at: d.at, recipient: d.recipient, purpose: d.purpose, fields: d.fields.join('; '), unitId: d.unitId })), ['at', 'recipient', 'purpose', 'fields', 'unitId']) },
    { name: 'staff-reads.csv', content: csv(document.reads.map((r) => ({ at: r.at, staffRoles: r.staffRoles.join('; '), purpose: r.purpose, fields: r.fields.join('; '), unitId: r.unitId })), ['at', 'staffRoles', 'purpose', 'fields', 'unitId']) },
  ];
}

type Cell = string | number | boolean | null;

/** Nested records become dotted columns (`shippingAddress.city`); lists of records stay whole, as JSON in one cell. */
function flatten(value: unknown, prefix = ''): Record<string, Cell> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { [prefix || 'value']: cell(value) };
  const out: Record<string, Cell> = {};
  for (const [key, inner] of Object.entries(value)) Object.assign(out, flatten(inner, prefix ? `${prefix}.${key}` : key));
  return out;
}

function cell(value: unknown): Cell {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.every((v) => typeof v !== 'object' || v === null) ? value.join('; ') : JSON.stringify(value);
  return typeof value === 'object' ? JSON.stringify(value) : (value as Cell);
}

function csv(rows: readonly Record<string, Cell>[], header: readonly string[] = [...new Set(rows.flatMap((r) => Object.keys(r)))]): string {
  return [header, ...rows.map((r) => header.map((h) => r[h] ?? null))].map((line) => line.map(field).join(',')).join('\r\n') + '\r\n';
}

/** RFC 4180 quoting; a text starting like a formula is prefixed with ' so a spreadsheet shows it rather than runs it. */
function field(value: Cell): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// ── the zip ─────────────────────────────────────────────────────────────────────────────────────────────────────

const UTF8_NAMES = 0x0800;

/** MS-DOS date and time, as zip headers keep them (two-second steps, local time taken as UTC). */
function dosTime(at: Date): { time: number; date: number } {
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2),
    date: ((Math.max(at.getUTCFullYear(), 1980) - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

/** A zip archive of `files`, uncompressed, dated `at`. */
export function zip(files: readonly BundleFile[], at: Date): Buffer {
  const { time, date } = dosTime(at);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const data = Buffer.from(file.content, 'utf8');
    const crc = zlib.crc32(data);
    // The fields both headers share, from "version needed" to the name's length.
    const common = Buffer.alloc(26);
    common.writeUInt16LE(20, 0);
    common.writeUInt16LE(UTF8_NAMES, 2);
    common.writeUInt16LE(0, 4);
    common.writeUInt16LE(time, 6);
    common.writeUInt16LE(date, 8);
    common.writeUInt32LE(crc, 10);
    common.writeUInt32LE(data.length, 14);
    common.writeUInt32LE(data.length, 18);
    common.writeUInt16LE(name.length, 22);
    common.writeUInt16LE(0, 24);
    const local = Buffer.concat([uint32(0x04034b50), common, name, data]);
    // Comment length, disk, internal and external attributes (all 0), then where the local header starts.
    const tail = Buffer.alloc(14);
    tail.writeUInt32LE(offset, 10);
    centrals.push(Buffer.concat([uint32(0x02014b50), uint16(20), common, tail, name]));
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

function uint16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n, 0);
  return b;
}
