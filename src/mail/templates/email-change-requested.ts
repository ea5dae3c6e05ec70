import { layout, type MailContext, type RenderedMail } from './layout';

export const emailChangeRequested = ({ newEmailMasked }: { newEmailMasked: string }, context: MailContext): RenderedMail =>
  layout(
    `Your ${context.service} email address is about to change`,
    [
      `Someone signed in to your ${context.service} account asked to change its email address to ${newEmailMasked}. The change happens only once that address confirms it.`,
      'If this was you, there is nothing to do here.',
      'If it was not you, sign in now, change your password (this signs out everyone else) and do not confirm the change. If you cannot sign in, use "Forgot password" while this is still your address.',
    ],
    context,
  );
