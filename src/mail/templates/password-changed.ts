import { layout, noticeFacts, type MailContext, type NoticeData, type RenderedMail } from './layout';

export const passwordChanged = (data: NoticeData, context: MailContext): RenderedMail =>
  layout(
    `Your ${context.service} password was changed`,
    [
      `The password of your ${context.service} account was changed, and every other session was signed out.`,
      noticeFacts(data),
      'If this was you, there is nothing to do.',
      'If it was not you, reset your password now with "Forgot password" on the sign-in page: that signs out everyone, including whoever changed it.',
    ],
    context,
  );
