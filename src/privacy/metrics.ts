import { sql } from 'drizzle-orm';
import { queryRows } from '../platform/db/index.ts';
import type { Platform } from '../platform/http/app.ts';
import type { MetricFamily } from '../platform/metrics/exposition.ts';

// The privacy engine's figures for /metrics: the data-subject request backlog and how close its nearest deadline is,
// what the last retention sweep did, and which clauses the last conformance run found broken. Counts, kinds and
// clause ids only.

const DAY_MS = 24 * 60 * 60 * 1000;

export async function privacyGauges(platform: Platform): Promise<MetricFamily[]> {
  const db = platform.database.db;
  const now = platform.clock.now().getTime();
  const open = await queryRows<{ kind: string; status: string; n: number; due: string | Date }>(
    db,
    sql`select kind, status, count(*)::int as n, min(due_at) as due from privacy_request where completed_at is null and status <> 'refused' group by kind, status order by kind, status`,
  );
  const [sweep] = await queryRows<{ status: string; started_at: string | Date; finished_at: string | Date | null; counts: Record<string, number> }>(
    db,
    sql`select status, started_at, finished_at, counts from retention_sweep order by started_at desc limit 1`,
  );
  const [run] = await queryRows<{ ran_at: string | Date; passed: number; failed: number; results: { clause: string; passed: boolean }[] }>(
    db,
    sql`select ran_at, passed, failed, results from conformance_run order by ran_at desc limit 1`,
  );
  const nearest = open.reduce((min, r) => Math.min(min, new Date(r.due).getTime()), Infinity);
  const seconds = (at: string | Date) => new Date(at).getTime() / 1000;
  return [
    { name: 'pledge_dsr_open', help: 'Open data-subject requests, by kind and status.', type: 'gauge', samples: open.map((r) => ({ labels: { kind: r.kind, status: r.status }, value: r.n })) },
    {
      name: 'pledge_dsr_days_to_nearest_due',
      help: 'Days until the nearest due date of an open data-subject request (negative when overdue; absent when none is open).',
      type: 'gauge',
      samples: nearest === Infinity ? [] : [{ value: Math.round(((nearest - now) / DAY_MS) * 100) / 100 }],
    },
    { name: 'pledge_retention_sweep_last_started_seconds', help: 'When the last retention sweep started (Unix time).', type: 'gauge', samples: sweep ? [{ value: seconds(sweep.started_at) }] : [] },
    { name: 'pledge_retention_sweep_last_status', help: 'The last retention sweep’s status (1 for the status it has).', type: 'gauge', samples: sweep ? [{ labels: { status: sweep.status }, value: 1 }] : [] },
    {
      name: 'pledge_retention_sweep_last_count',
      help: 'What the last retention sweep did, per unit kind and derived copy.',
      type: 'gauge',
      samples: sweep ? Object.entries(sweep.counts).map(([kind, n]) => ({ labels: { kind }, value: n })) : [],
    },
    { name: 'pledge_conformance_last_run_seconds', help: 'When the conformance report last ran (Unix time).', type: 'gauge', samples: run ? [{ value: seconds(run.ran_at) }] : [] },
    { name: 'pledge_conformance_failed', help: 'Clauses the last conformance run found broken.', type: 'gauge', samples: run ? [{ value: run.failed }] : [] },
    { name: 'pledge_conformance_passed', help: 'Clauses the last conformance run found kept.', type: 'gauge', samples: run ? [{ value: run.passed }] : [] },
    {
      name: 'pledge_conformance_clause_failed',
      help: 'Each clause the last conformance run found broken (1), by clause id.',
      type: 'gauge',
      samples: (run?.results ?? []).filter((r) => !r.passed).map((r) => ({ labels: { clause: r.clause }, value: 1 })),
    },
  ];
}
