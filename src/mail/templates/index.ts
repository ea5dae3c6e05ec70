import { confirmEmailChange } from './confirm-email-change';
import { emailChangeRequested } from './email-change-requested';
import { emailChanged } from './email-changed';
import type { MailContext, RenderedMail } from './layout';
import { newSignIn } from './new-sign-in';
import { passwordChanged } from './password-changed';
import { passwordReset } from './password-reset';
import { resetPassword } from './reset-password';
import { secondFactorReset } from './second-factor-reset';
import { verifyEmail } from './verify-email';

export type { MailContext, RenderedMail } from './layout';

/** Every template's data, typed. Data is JSON (strings and numbers only): it is stored, encrypted, in the outbox. */
export interface MailTemplates {
  verifyEmail: { link: string; validMinutes: number }; // to the account's address
  resetPassword: { link: string; validMinutes: number }; // to the account's address
  confirmEmailChange: { link: string; validMinutes: number; newEmail: string }; // to the NEW address
  emailChangeRequested: { newEmailMasked: string }; // notice to the OLD address
  emailChanged: { newEmailMasked: string }; // notice to the OLD address, after confirmation
  passwordChanged: { at: string; ip?: string; userAgent?: string }; // notice (at = ISO time)
  passwordReset: { at: string; ip?: string; userAgent?: string }; // notice
  newSignIn: { at: string; ip?: string; userAgent?: string }; // notice: sign-in from a device not seen before
  secondFactorReset: { at: string; ip?: string; userAgent?: string }; // notice: an admin removed the second factor
}
export type MailTemplateName = keyof MailTemplates;

const TEMPLATES: { [K in MailTemplateName]: (data: MailTemplates[K], context: MailContext) => RenderedMail } = {
  verifyEmail,
  resetPassword,
  confirmEmailChange,
  emailChangeRequested,
  emailChanged,
  passwordChanged,
  passwordReset,
  newSignIn,
  secondFactorReset,
};

export const isMailTemplateName = (name: string): name is MailTemplateName => Object.hasOwn(TEMPLATES, name);

/** Subject, text and HTML of one message. Throws on a link that is not http(s) (a bug of the caller). */
export function renderMail<T extends MailTemplateName>(template: T, data: MailTemplates[T], context: MailContext): RenderedMail {
  return (TEMPLATES[template] as (data: MailTemplates[T], context: MailContext) => RenderedMail)(data, context);
}
