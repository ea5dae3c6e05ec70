import { layout, validity, type LinkData, type MailContext, type RenderedMail } from './layout';

export const verifyEmail = ({ link, validMinutes }: LinkData, context: MailContext): RenderedMail =>
  layout(
    `Confirm your email address for ${context.service}`,
    [
      `Please confirm that this is your email address, so that ${context.service} can reach you, for example to help you back in if you forget your password.`,
      { link, label: 'Confirm my email address' },
      `The link works once, for ${validity(validMinutes)}. If it has expired, sign in and ask for a new one.`,
      `If you did not create an account with ${context.service}, ignore this message: nothing happens unless the link is opened.`,
    ],
    context,
  );
