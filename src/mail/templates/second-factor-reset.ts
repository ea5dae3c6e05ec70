import { layout, noticeFacts, type MailContext, type NoticeData, type RenderedMail } from './layout';

export const secondFactorReset = (data: NoticeData, context: MailContext): RenderedMail =>
  layout(
    `The second factor of your ${context.service} account was removed`,
    [
      `An administrator removed the second factor (authenticator app and recovery codes) of your ${context.service} account: signing in now needs only your password.`,
      noticeFacts(data),
      'If you asked for this, sign in and set up your authenticator app again.',
      'If you did not ask for this, change your password now and contact your administrator.',
    ],
    context,
  );
