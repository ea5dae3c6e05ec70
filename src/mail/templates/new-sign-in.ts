import { layout, noticeFacts, type MailContext, type NoticeData, type RenderedMail } from './layout';

export const newSignIn = (data: NoticeData, context: MailContext): RenderedMail =>
  layout(
    `New sign-in to your ${context.service} account`,
    [
      `Your ${context.service} account was just signed in to from a device it has not seen before.`,
      noticeFacts(data),
      'If this was you, there is nothing to do.',
      'If it was not you, change your password now (this signs out every other session) and check your recent activity.',
    ],
    context,
  );
