// STAND-IN (branch issue12-recovery): the template data types of the mail interface (/work/wt/MAIL.md). The
// mail branch replaces this file with the real templates; nothing here renders mail.

/** Every template's data, typed. Data is JSON (strings/numbers only). */
export interface MailTemplates {
  verifyEmail: { link: string; validMinutes: number };
  resetPassword: { link: string; validMinutes: number };
  confirmEmailChange: { link: string; validMinutes: number; newEmail: string };
  emailChangeRequested: { newEmailMasked: string };
  emailChanged: { newEmailMasked: string };
  passwordChanged: { at: string; ip?: string; userAgent?: string };
  passwordReset: { at: string; ip?: string; userAgent?: string };
  newSignIn: { at: string; ip?: string; userAgent?: string };
}
export type MailTemplateName = keyof MailTemplates;
