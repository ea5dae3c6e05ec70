import { randomBytes, randomUUID } from 'node:crypto';
import { maskedConfig } from '../../src/cli/show-config';
import { ConfigError, loadConfig } from '../../src/config';
import { backoffSeconds, serviceName } from '../../src/jobs/mail-dispatcher';
import { maskEmail } from '../../src/mail/mask';
import { OutboxCipher } from '../../src/mail/outbox-cipher';
import { renderMail, type MailTemplateName, type MailTemplates } from '../../src/mail/templates';
import { classify, messageIdFor } from '../../src/mail/transport';

const SECRET = 'Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ JWT_SECRET: SECRET, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};
const mailConfig = (env: Record<string, string>) => loadConfig({ JWT_SECRET: SECRET, ...env }).mail;

describe('mail configuration', () => {
  it('has sane defaults: .eml files outside production, 20 attempts, 5 s doubling to 15 min, a 2 s poll, 7 days kept', () => {
    expect(mailConfig({})).toEqual({
      smtp: undefined,
      enabled: true,
      from: 'Gatehouse <no-reply@localhost>',
      maxAttempts: 20,
      retryBaseSeconds: 5,
      retryMaxSeconds: 900,
      pollIntervalSeconds: 2,
      leaseSeconds: 300,
      batchSize: 50,
      concurrency: 5,
      outboxRetentionSeconds: 7 * 86400,
    });
  });

  it('reads SMTP_URL: smtp:// requires STARTTLS (port 587), smtps:// is TLS (465), tls=off is plain', () => {
    expect(mailConfig({ SMTP_URL: 'smtp://me%40x.io:p%3Ass@mail.example' }).smtp).toEqual({
      url: 'smtp://me%40x.io:p%3Ass@mail.example',
      host: 'mail.example',
      port: 587,
      tls: 'starttls',
      user: 'me@x.io',
      password: 'p:ss',
    });
    expect(mailConfig({ SMTP_URL: 'smtps://u:p@mail.example' }).smtp).toMatchObject({ port: 465, tls: 'implicit' });
    expect(mailConfig({ SMTP_URL: 'smtp://127.0.0.1:2525?tls=off' }).smtp).toMatchObject({ port: 2525, tls: 'off', user: undefined });
  });

  it('refuses a malformed SMTP_URL without echoing it, other schemes, unknown parameters and contradictions', () => {
    const problems = problemsOf({ SMTP_URL: 'smtp://user:hunter2@[bad' });
    expect(problems).toEqual([expect.stringMatching(/^SMTP_URL must be a URL/)]);
    expect(problems.join()).not.toContain('hunter2');
    expect(problemsOf({ SMTP_URL: 'http://mail.example' })).toEqual([expect.stringMatching(/must start with smtp:\/\//)]);
    expect(problemsOf({ SMTP_URL: 'smtp://mail.example?tls=no' })).toEqual([expect.stringMatching(/can only be "off"/)]);
    expect(problemsOf({ SMTP_URL: 'smtp://mail.example?secure=true' })).toEqual([expect.stringMatching(/unknown parameter: secure/)]);
    expect(problemsOf({ SMTP_URL: 'smtps://mail.example?tls=off' })).toEqual([expect.stringMatching(/contradicts/)]);
  });

  it('in production: plain SMTP only to this host, MAIL_FROM required with SMTP_URL, and mail off without SMTP_URL', () => {
    // APP_URL: where the mailed links point, required in production once mail is on (src/config/recovery.ts).
    const production = { NODE_ENV: 'production', BCRYPT_COST: '12', APP_URL: 'https://app.example.com' };
    expect(problemsOf({ ...production, SMTP_URL: 'smtp://relay.internal:25?tls=off', MAIL_FROM: 'a@b.example' })).toEqual([
      expect.stringMatching(/tls=off \(plain text\) is refused in production/),
    ]);
    expect(problemsOf({ ...production, SMTP_URL: 'smtp://localhost:25?tls=off', MAIL_FROM: 'a@b.example' })).toEqual([]);
    expect(mailConfig({ ...production, SMTP_URL: 'smtp://[::1]:25?tls=off', MAIL_FROM: 'a@b.example' }).smtp).toMatchObject({
      host: '::1',
      tls: 'off',
    });
    expect(problemsOf({ ...production, SMTP_URL: 'smtp://u:p@mail.example' })).toEqual([expect.stringMatching(/^MAIL_FROM is required/)]);
    expect(mailConfig(production)).toMatchObject({ smtp: undefined, enabled: false });
    expect(mailConfig({ ...production, SMTP_URL: 'smtps://u:p@mail.example', MAIL_FROM: 'Acme <no-reply@acme.example>' }).enabled).toBe(true);
  });

  it('validates MAIL_FROM as an address with an optional name, never a header injection', () => {
    expect(problemsOf({ MAIL_FROM: 'Acme <no-reply@acme.example>' })).toEqual([]);
    expect(problemsOf({ MAIL_FROM: '"Acme, Inc." <no-reply@acme.example>' })).toEqual([]);
    expect(problemsOf({ MAIL_FROM: 'no-reply@acme.example' })).toEqual([]);
    expect(problemsOf({ MAIL_FROM: 'not an address' })).toEqual([expect.stringMatching(/^MAIL_FROM must be an address/)]);
    expect(problemsOf({ MAIL_FROM: 'a@b.example\r\nBcc: victim@example.com' })).toEqual([expect.stringMatching(/^MAIL_FROM must be an address/)]);
  });

  it('bounds the outbox settings', () => {
    expect(
      problemsOf({ MAIL_MAX_ATTEMPTS: '0', MAIL_RETRY_BASE: '10m', MAIL_RETRY_MAX: '1m', MAIL_LEASE: '5s', MAIL_OUTBOX_RETENTION: '1m' }),
    ).toEqual([
      'MAIL_RETRY_MAX must be at least MAIL_RETRY_BASE',
      expect.stringMatching(/^MAIL_MAX_ATTEMPTS must be a whole number from 1 to 100/),
      expect.stringMatching(/^MAIL_LEASE must be a duration/),
      expect.stringMatching(/^MAIL_OUTBOX_RETENTION must be a duration/),
    ]);
  });

  it('show-config masks the SMTP password, in the URL and on its own', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, SMTP_URL: 'smtps://mailer:hunter2-secret@mail.example' });
    const shown = JSON.stringify(maskedConfig(config));
    expect(shown).not.toContain('hunter2-secret');
    expect(shown).toContain('mailer');
  });
});

describe('maskEmail', () => {
  it('keeps the first and last character of the local part and the domain', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***e@example.com');
    expect(maskEmail('abcd@example.com')).toBe('a***d@example.com');
    expect(maskEmail('abc@example.com')).toBe('***@example.com');
    expect(maskEmail('a@example.com')).toBe('***@example.com');
    expect(maskEmail('not-an-address')).toBe('***');
  });
});

describe('templates', () => {
  const context = { service: 'Acme' };
  const samples: { [K in MailTemplateName]: MailTemplates[K] } = {
    verifyEmail: { link: 'https://app.example/verify#token=abc', validMinutes: 1440 },
    resetPassword: { link: 'https://app.example/reset-password#token=abc', validMinutes: 30 },
    confirmEmailChange: { link: 'https://app.example/confirm-email#token=abc', validMinutes: 30, newEmail: 'new@example.com' },
    emailChangeRequested: { newEmailMasked: 'n***w@example.com' },
    emailChanged: { newEmailMasked: 'n***w@example.com' },
    passwordChanged: { at: '2026-12-05T10:00:00.000Z', ip: '203.0.113.7', userAgent: 'Firefox' },
    passwordReset: { at: '2026-12-05T10:00:00.000Z' },
    newSignIn: { at: '2026-12-05T10:00:00.000Z', ip: '203.0.113.7', userAgent: 'Firefox' },
    secondFactorReset: { at: '2026-12-05T10:00:00.000Z' },
  };

  it.each(Object.keys(samples) as MailTemplateName[])('%s has a subject that names the service, and text and HTML saying the same', (name) => {
    const mail = renderMail(name, samples[name] as never, context);
    expect(mail.subject).toContain('Acme');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).not.toMatch(/<img|<script|<link|src=/i);
    expect(mail.text).toMatch(/(not you|not ask|not create)/);
    const data = samples[name] as Record<string, unknown>;
    if (typeof data.link === 'string') {
      expect(mail.text).toContain(data.link);
      expect(mail.html).toContain(`href="${data.link}"`);
      expect(mail.text).toMatch(/works once, for (30 minutes|24 hours)/);
    }
    if (typeof data.ip === 'string') expect(mail.text).toContain('IP address: 203.0.113.7');
    if (typeof data.at === 'string') expect(mail.text).toContain('Sat, 05 Dec 2026 10:00:00 UTC');
  });

  it('escapes every value in HTML', () => {
    const mail = renderMail('newSignIn', { at: '2026-12-05T10:00:00Z', userAgent: '<img src=x onerror=alert(1)>"' }, { service: 'A & B <Co>' });
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;');
    expect(mail.html).toContain('A &amp; B &lt;Co&gt;');
    expect(mail.html).not.toContain('<img');
  });

  it('refuses a link that is not http(s)', () => {
    expect(() => renderMail('resetPassword', { link: 'javascript:alert(1)', validMinutes: 30 }, context)).toThrow('http(s)');
    expect(() => renderMail('resetPassword', { link: 'https://a.example/x y', validMinutes: 30 }, context)).toThrow('http(s)');
  });

  it('names the service from MAIL_FROM', () => {
    expect(serviceName('Acme <no-reply@acme.example>')).toBe('Acme');
    expect(serviceName('"Acme, Inc." <no-reply@acme.example>')).toBe('Acme, Inc.');
    expect(serviceName('no-reply@acme.example')).toBe('acme.example');
  });
});

describe('OutboxCipher', () => {
  const cipher = new OutboxCipher(SECRET);
  const id = randomUUID();

  it('round-trips, with a fresh IV each time', () => {
    const data = { link: 'https://app.example/#token=secret-token', validMinutes: 30 };
    const sealed = cipher.seal(id, 'resetPassword', data);
    expect(sealed).not.toContain('secret-token');
    expect(cipher.seal(id, 'resetPassword', data)).not.toBe(sealed);
    expect(cipher.open(id, 'resetPassword', sealed)).toEqual(data);
  });

  it('does not open data moved to another row or template, changed, or sealed under another JWT_SECRET', () => {
    const sealed = cipher.seal(id, 'resetPassword', { n: 1 });
    expect(cipher.open(randomUUID(), 'resetPassword', sealed)).toBeUndefined();
    expect(cipher.open(id, 'verifyEmail', sealed)).toBeUndefined();
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    expect(cipher.open(id, 'resetPassword', flipped)).toBeUndefined();
    expect(new OutboxCipher(randomBytes(48).toString('base64')).open(id, 'resetPassword', sealed)).toBeUndefined();
    expect(cipher.open(id, 'resetPassword', 'garbage')).toBeUndefined();
  });

  it('refuses an unresolved secret', () => {
    expect(() => new OutboxCipher('')).toThrow(/not resolved/);
  });
});

describe('delivery failures', () => {
  const smtpError = (code: string, responseCode?: number, permanent?: boolean) =>
    Object.assign(new Error(`failed ${responseCode ?? ''}`), {
      code,
      responseCode,
      permanent,
      response: responseCode ? `${responseCode} reply` : undefined,
    });

  it('fails at once only on a 5xx answer to the message; retries no connection, timeouts, 4xx, AUTH and STARTTLS failures', () => {
    expect(classify(smtpError('EENVELOPE', 550, true))).toEqual({ ok: false, permanent: true, error: '550 reply', smtpCode: 550 });
    expect(classify(smtpError('EMESSAGE', 554, true)).permanent).toBe(true);
    expect(classify(smtpError('EENVELOPE', 451, false)).permanent).toBe(false);
    expect(classify(smtpError('EENVELOPE', 503, false)).permanent).toBe(false);
    expect(classify(smtpError('ESOCKET')).permanent).toBe(false);
    expect(classify(smtpError('ETIMEDOUT')).permanent).toBe(false);
    expect(classify(smtpError('EAUTH', 535, true)).permanent).toBe(false);
    expect(classify(smtpError('ETLS', 500, true)).permanent).toBe(false);
  });

  it('keeps the error short, printable, and free of the SMTP password', () => {
    const error = Object.assign(new Error(`auth failed for hunter2 ${Buffer.from('hunter2').toString('base64')}\r\n${'x'.repeat(500)}`), {
      code: 'EAUTH',
    });
    const { error: text } = classify(error, ['hunter2', Buffer.from('hunter2').toString('base64')]);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(text).not.toMatch(/[\r\n]/);
    expect(text.length).toBeLessThanOrEqual(300);
  });

  it('backs off exponentially up to the cap, with up to half taken off at random', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffSeconds(attempt, 5, 900, 0))).toEqual([5, 10, 20, 40, 80]);
    expect(backoffSeconds(20, 5, 900, 0)).toBe(900);
    expect(backoffSeconds(1, 5, 900, 1)).toBe(2.5);
  });

  it('derives the Message-ID from the row id and the From domain', () => {
    expect(messageIdFor('1234', 'Acme <no-reply@acme.example>')).toBe('<1234@acme.example>');
    expect(messageIdFor('1234', 'no-reply@acme.example')).toBe('<1234@acme.example>');
  });
});
