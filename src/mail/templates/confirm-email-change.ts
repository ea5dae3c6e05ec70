import { layout, validity, type LinkData, type MailContext, type RenderedMail } from './layout';

export const confirmEmailChange = ({ link, validMinutes, newEmail }: LinkData & { newEmail: string }, context: MailContext): RenderedMail =>
  layout(
    `Confirm your new email address for ${context.service}`,
    [
      `Someone asked to use ${newEmail} as the email address of a ${context.service} account. To confirm that this address is yours and make the change, open this link:`,
      { link, label: 'Confirm my new email address' },
      `The link works once, for ${validity(validMinutes)}. The account's address changes only when it is opened.`,
      'If you did not ask for this, ignore this message: nothing changes.',
    ],
    context,
  );
