import type { Table } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';

// Where each column says whether it holds personal data. The mechanism lives in the platform so that the
// platform's own tables (the outbox) are classified like every other; the privacy engine's inventory gives the
// categories, units and purposes their meaning and checks every declaration against them.

export type PersonalColumn = {
  personal: true;
  category: string;
  unit: string;
  /** How the value is kept: sealed under its unit's key, a keyed hash of such a value, a one-way hash, or an id. */
  protection: 'encrypted' | 'blind_index' | 'hashed' | 'pseudonymous_id';
  processors?: readonly string[];
};
export type NotPersonal = { personal: false; why?: string };
export type ColumnClass = PersonalColumn | NotPersonal;

export const NOT_PERSONAL: NotPersonal = { personal: false };

export type TableClassification = { table: string; columns: Record<string, ColumnClass> };

const registry = new Map<string, TableClassification>();

/**
 * Declares the classification of every column of `table`, beside the table. The type demands an entry for every
 * column, so a new column does not compile until someone says whether it is personal.
 */
export function classifyColumns<T extends PgTable, C extends ColumnClass>(table: T, columns: { [K in keyof T['_']['columns']]: C | NotPersonal }): T {
  const { name } = getTableConfig(table);
  const byColumnName: Record<string, ColumnClass> = {};
  for (const [key, value] of Object.entries(columns) as [string, ColumnClass][]) {
    const column = (table as unknown as Record<string, { name: string }>)[key];
    if (!column) throw new Error(`${name}: classification names ${key}, which is not a column`);
    byColumnName[column.name] = value;
  }
  registry.set(name, { table: name, columns: byColumnName });
  return table;
}

export function classificationOf(table: Table | string): TableClassification | undefined {
  return registry.get(typeof table === 'string' ? table : getTableConfig(table as PgTable).name);
}

export function classifiedTables(): TableClassification[] {
  return [...registry.values()].sort((a, b) => a.table.localeCompare(b.table));
}
