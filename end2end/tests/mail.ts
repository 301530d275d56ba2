// Reads the mail the server wrote to its outbox (<data dir>/outbox/*.eml), as
// a person would read their inbox: find the message, decode its text part.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const outbox = () => join(process.env.WARDEN_E2E_DATA_DIR ?? '', 'outbox');

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const soft = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The decoded text/plain part of a raw RFC 5322 message. */
export function textPart(raw: string): string {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  const part = parts.find((p) => /^content-type:\s*text\/plain/im.test(p));
  if (!part) throw new Error('no text/plain part');
  const [headers, ...body] = part.split(/\r?\n\r?\n/);
  const content = body.join('\n\n').replace(/\r?\n--[^\r\n]+--\s*$/, '');
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase() ?? '7bit';
  if (encoding === 'base64') return Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(content);
  return content;
}

/** Waits for a message to `to` whose subject contains `subject`; returns its text part. */
export async function waitForMail(to: string, subject: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let files: string[] = [];
    try {
      files = readdirSync(outbox()).filter((f) => f.endsWith('.eml'));
    } catch {
      // The outbox appears with the first message.
    }
    for (const f of files) {
      const raw = readFileSync(join(outbox(), f), 'utf8');
      const head = raw.split(/\r?\n\r?\n/)[0];
      if (new RegExp(`^To:.*${to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'im').test(head) && head.includes(subject)) {
        return textPart(raw);
      }
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} with subject "${subject}" in ${outbox()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
