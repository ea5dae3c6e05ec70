import { layout, type MailContext, type RenderedMail } from './layout';

export const emailChanged = ({ newEmailMasked }: { newEmailMasked: string }, context: MailContext): RenderedMail =>
  layout(
    `Your ${context.service} email address was changed`,
    [
      `The email address of your ${context.service} account is now ${newEmailMasked}. Messages about the account go there from now on, and you sign in with it.`,
      'If this was you, there is nothing to do.',
      `If it was not you, someone else may control your account: contact ${context.service}'s support at once.`,
    ],
    context,
  );
