// How many mails per second the outbox delivers to a local SMTP server (the tests' in-process smtp-server,
// 127.0.0.1 only). A real Gatehouse (in this process) on a fresh database queues MAIL_THROUGHPUT_COUNT
// messages in one commit, is woken, and the time until the last one has been accepted by the SMTP server
// is measured; then the same count is queued one message per transaction, as mutations do, and measured
// from the first commit to the last arrival. Bounded: it gives up after 5 minutes.
//
//   npx ts-node --swc scripts/mail-throughput.ts                          # embedded database
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx ts-node --swc scripts/mail-throughput.ts
//
//   MAIL_THROUGHPUT_COUNT  messages per phase (default 500); MAIL_CONCURRENCY, MAIL_BATCH_SIZE as the server reads them
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createGatehouse } from '../src/app';
import { loadConfig } from '../src/config';
import { startSmtpServer } from '../tests/helpers/smtp-server';
import { createTestDatabase } from '../tests/helpers/test-database';

const COUNT = Number(process.env.MAIL_THROUGHPUT_COUNT ?? 500);
const TIMEOUT_MS = 300_000;

async function main() {
  const smtp = await startSmtpServer();
  const database = await createTestDatabase();
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    JWT_SECRET: randomBytes(48).toString('base64'),
    ...database.env,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Bench <no-reply@bench.example>',
    ...(process.env.MAIL_CONCURRENCY && { MAIL_CONCURRENCY: process.env.MAIL_CONCURRENCY }),
    ...(process.env.MAIL_BATCH_SIZE && { MAIL_BATCH_SIZE: process.env.MAIL_BATCH_SIZE }),
  };
  const gatehouse = await createGatehouse(loadConfig(env));
  const { mail } = gatehouse.services;
  const data = () => ({ link: `https://app.example/reset-password#token=${randomBytes(32).toString('base64url')}`, validMinutes: 30 });
  try {
    const kind = env.DATABASE_URL ? 'PostgreSQL' : 'embedded (PGlite)';
    const { concurrency, batchSize } = loadConfig(env).mail;
    console.log(`mail throughput, ${kind}, ${COUNT} messages per phase, MAIL_CONCURRENCY=${concurrency}, MAIL_BATCH_SIZE=${batchSize}`);

    // Phase 1: one commit of COUNT messages, then one wake.
    const em = gatehouse.database.orm.em.fork();
    for (let i = 0; i < COUNT; i++) mail.enqueue(em, { to: `bulk-${i}@bench.example`, template: 'resetPassword', data: data() });
    await em.flush();
    let started = performance.now();
    mail.wake();
    await smtp.waitForCount(COUNT, { timeoutMs: TIMEOUT_MS });
    let seconds = (performance.now() - started) / 1000;
    console.log(`queued in one commit:        ${COUNT} delivered in ${seconds.toFixed(2)} s = ${(COUNT / seconds).toFixed(0)} mails/s`);

    // Phase 2: one message per transaction, woken after each commit (as a mutation does).
    started = performance.now();
    for (let i = 0; i < COUNT; i++) {
      const one = gatehouse.database.orm.em.fork();
      mail.enqueue(one, { to: `single-${i}@bench.example`, template: 'resetPassword', data: data() });
      await one.flush();
      mail.wake();
    }
    const queuedSeconds = (performance.now() - started) / 1000;
    await smtp.waitForCount(2 * COUNT, { timeoutMs: TIMEOUT_MS });
    seconds = (performance.now() - started) / 1000;
    console.log(
      `one per transaction + wake: ${COUNT} delivered in ${seconds.toFixed(2)} s = ${(COUNT / seconds).toFixed(0)} mails/s (queueing alone took ${queuedSeconds.toFixed(2)} s)`,
    );
    const duplicates = smtp.mails.length - new Set(smtp.mails.map((m) => m.messageId)).size;
    console.log(`received ${smtp.mails.length}, duplicates ${duplicates}, SMTP connections opened ${smtp.stats.connections}`);
  } finally {
    await gatehouse.close();
    await database.drop();
    await smtp.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
