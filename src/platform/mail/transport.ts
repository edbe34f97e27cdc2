import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { MailMessage } from './schema.ts';

// Where mail goes: SMTP when SMTP_URL is set, otherwise .eml files in the mail directory (the dev mailbox).

export type OutgoingMail = MailMessage & { id: string; dedupeKey: string; from: string; date: Date };

export type MailTransport = { kind: 'smtp' | 'files'; send(mail: OutgoingMail): Promise<void>; close(): void };

/** A stable Message-ID from the dedupe key lets mail servers and clients drop a repeat delivery. */
export function messageIdFor(dedupeKey: string, from: string): string {
  const domain = from.split('@')[1] ?? 'localhost';
  return `<${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32)}@${domain}>`;
}

function toNodemailer(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    ...(mail.html ? { html: mail.html } : {}),
    date: mail.date,
    messageId: messageIdFor(mail.dedupeKey, mail.from),
  };
}

export function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport(url);
  return {
    kind: 'smtp',
    async send(mail) {
      await transporter.sendMail(toNodemailer(mail));
    },
    close: () => transporter.close(),
  };
}

export function fileTransport(dir: string): MailTransport {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'files',
    async send(mail) {
      const info = await builder.sendMail(toNodemailer(mail));
      await fs.mkdir(dir, { recursive: true });
      // Named by outbox id and renamed into place: a repeated delivery overwrites the same file.
      const file = path.join(dir, `${mail.id}.eml`);
      const partial = `${file}.${process.pid}.partial`;
      await fs.writeFile(partial, info.message as Buffer);
      await fs.rename(partial, file);
    },
    close: () => undefined,
  };
}
