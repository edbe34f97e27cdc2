import fs from 'node:fs';
import type { Runtime } from '../../platform/runtime.ts';
import { addSpan } from '../retention/rules.ts';
import { registerDerivedCopy } from '../retention/sweep.ts';
import { backupFiles, backupKey, JOURNAL_SUFFIX, newBackupFile, readHeader, refreshJournals, takeBackup } from './service.ts';

// Backups are copies of everyone's data, so they expire like any other copy: the nightly retention sweep deletes
// those in PLEDGE_BACKUP_DIR older than PLEDGE_BACKUP_DAYS (35 by default), and with them whoever they still
// remembered. Until then, the journal beside each one is kept up to date every ten minutes. One instance takes a
// backup there every night (PGlite can only be dumped by the process that holds it, so the server does it).

export const BACKUP_JOURNALS_JOB = 'backup-journals';
export const BACKUP_JOB = 'backup';

export function keepBackups(runtime: Runtime): void {
  const { backupDir, backupDays } = runtime.config;
  if (!backupDir) return;
  registerDerivedCopy({
    name: 'backup',
    label: `backups of the shop’s database, kept ${backupDays} days`,
    async purge(ctx) {
      const now = ctx.clock.now();
      let purged = 0;
      for (const file of backupFiles(backupDir)) {
        if (addSpan(new Date(readHeader(file).header.takenAt), { amount: backupDays, unit: 'days' }) > now) continue;
        fs.rmSync(file, { force: true });
        fs.rmSync(`${file}${JOURNAL_SUFFIX}`, { force: true });
        purged++;
      }
      return purged;
    },
  });
  runtime.jobs.define({
    name: BACKUP_JOURNALS_JOB,
    schedule: '*/10 * * * *',
    handler: async () => void (await refreshJournals(runtime.database.db, backupDir)),
  });
  runtime.jobs.define({
    name: BACKUP_JOB,
    schedule: '45 2 * * *',
    queue: { expireInSeconds: 3600, retryLimit: 2 },
    handler: async () => {
      const file = newBackupFile(backupDir, runtime.clock.now());
      const key = backupKey(runtime.config, runtime.masterKey);
      const header = await takeBackup({ database: runtime.database, databaseUrl: runtime.config.databaseUrl, clock: runtime.clock, key }, file);
      runtime.log.info({ file, takenAt: header.takenAt }, 'backup written');
    },
  });
}
