import { layout, validity, type LinkData, type MailContext, type RenderedMail } from './layout';

export const resetPassword = ({ link, validMinutes }: LinkData, context: MailContext): RenderedMail =>
  layout(
    `Reset your ${context.service} password`,
    [
      `Someone, probably you, asked to reset the password of your ${context.service} account. To choose a new password, open this link:`,
      { link, label: 'Choose a new password' },
      `The link works once, for ${validity(validMinutes)}. Resetting your password signs you out everywhere.`,
      'If you did not ask for this, ignore this message: your password stays as it is. Never share this link with anyone.',
    ],
    context,
  );
