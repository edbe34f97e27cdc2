import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../platform/config.ts';
import { inTransaction, type Executor } from '../../platform/db/index.ts';
import { MASTER_KEY_FILE, loadMasterKey } from '../../platform/keys.ts';
import { keyringFrom, rotateMasterKey } from './service.ts';

// Master key rotation. With PLEDGE_MASTER_KEY set (production), the operator supplies the new key there and the
// old one in PLEDGE_PREVIOUS_MASTER_KEY. With the development key file, a new key is made, the data keys are
// re-wrapped in one transaction, and only then does the new key replace the file; a rotation interrupted between
// the two is finished by running it again.

const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

export type RotationPlan = { from: Buffer; to: Buffer; commit: () => void };

export function planRotation(config: Config, env: Record<string, string | undefined>): RotationPlan {
  if (config.masterKey) {
    const previous = env.PLEDGE_PREVIOUS_MASTER_KEY;
    if (!previous || !BASE64_KEY.test(previous)) {
      throw new Error('set PLEDGE_PREVIOUS_MASTER_KEY to the old master key (32 bytes in base64) and PLEDGE_MASTER_KEY to the new one');
    }
    return { from: Buffer.from(previous, 'base64'), to: Buffer.from(config.masterKey, 'base64'), commit: () => undefined };
  }
  const from = loadMasterKey(config); // creates the data directory and first key when there is none yet
  const file = path.join(config.dataDir, MASTER_KEY_FILE);
  const next = `${file}.next`;
  if (!fs.existsSync(next)) fs.writeFileSync(next, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  const to = Buffer.from(fs.readFileSync(next, 'utf8').trim(), 'base64');
  return { from, to, commit: () => fs.renameSync(next, file) };
}

export async function runRotation(db: Executor, plan: RotationPlan, onProgress?: (done: number) => void): Promise<number> {
  const rewrapped = await inTransaction(db, (tx) => rotateMasterKey(tx, keyringFrom(plan.from), keyringFrom(plan.to), onProgress));
  plan.commit();
  return rewrapped;
}
