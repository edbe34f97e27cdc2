import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { z } from 'zod';
import { csrfField, sendPage, type Platform } from '../http/app.ts';
import { mailboxPage, messagePage, type MailboxEntry } from './views.ts';

// The development mailbox: what Pledge would have sent, read from the file sink. Never registered in production
// or when real SMTP is configured.

const MessageParams = z.object({ id: z.uuid() });

async function readEntry(dir: string, file: string): Promise<MailboxEntry & { text: string; html: string | false }> {
  const parsed = await simpleParser(await fs.readFile(path.join(dir, file)));
  const to = Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : (parsed.to?.text ?? '');
  return {
    id: path.basename(file, '.eml'),
    to,
    subject: parsed.subject ?? '(no subject)',
    date: parsed.date ?? new Date(0),
    text: parsed.text ?? '',
    html: parsed.html ?? false,
  };
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((f) => f.endsWith('.eml'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function mailboxRoutes(app: FastifyInstance, { config, layout }: Platform) {
  const dir = config.mailDir;

  app.get('/dev/mailbox', async (_request, reply) => {
    const entries = await Promise.all((await listFiles(dir)).map((file) => readEntry(dir, file)));
    entries.sort((a, b) => b.date.getTime() - a.date.getTime());
    return sendPage(reply, layout.page({ title: 'Dev mailbox', body: mailboxPage(entries, csrfField(reply)) }));
  });

  app.get('/dev/mailbox/:id', async (request, reply) => {
    const { id } = MessageParams.parse(request.params);
    const file = `${id}.eml`;
    if (!(await listFiles(dir)).includes(file)) return reply.callNotFound();
    const entry = await readEntry(dir, file);
    return sendPage(reply, layout.page({ title: entry.subject, body: messagePage(entry) }));
  });

  app.get('/dev/mailbox/:id/raw', async (request, reply) => {
    const { id } = MessageParams.parse(request.params);
    const file = `${id}.eml`;
    if (!(await listFiles(dir)).includes(file)) return reply.callNotFound();
    return reply.type('message/rfc822').header('content-disposition', `attachment; filename="${file}"`).send(await fs.readFile(path.join(dir, file)));
  });

  app.post('/dev/mailbox/clear', async (_request, reply) => {
    for (const file of await listFiles(dir)) await fs.rm(path.join(dir, file), { force: true });
    return reply.redirect('/dev/mailbox', 303);
  });
}
