import { layout, noticeFacts, type MailContext, type NoticeData, type RenderedMail } from './layout';

export const passwordReset = (data: NoticeData, context: MailContext): RenderedMail =>
  layout(
    `Your ${context.service} password was reset`,
    [
      `The password of your ${context.service} account was reset with a link sent to this address, and every session was signed out.`,
      noticeFacts(data),
      'If this was you, there is nothing to do.',
      'If it was not you, someone can read your email: secure your mailbox first, then reset your password again with "Forgot password" on the sign-in page.',
    ],
    context,
  );
