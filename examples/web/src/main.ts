import './style.css';
import { Account } from './account';
import { loadConfig } from './config';
import { describeError, isUnauthenticated } from './errors';
import { forgetEmailLink, readEmailLink, Recovery, type EmailLink } from './recovery';
import { Session } from './session';
import type { MfaChallengeFieldsFragment } from './operations';
import { View } from './view';

async function start(view: View): Promise<void> {
  let session: Session;
  try {
    session = new Session((await loadConfig()).graphqlUrl);
  } catch (error) {
    view.showSignedOut();
    view.showError(describeError(error));
    return;
  }
  const account = new Account(session.client);
  const recovery = new Recovery(session.client);
  // Opened from a mailed link: read its token once and take it out of the address bar.
  let link: EmailLink | undefined = readEmailLink(window.location);
  if (link) forgetEmailLink(window.location, window.history);
  const showAccount = async () => {
    view.showSignedIn(await account.load());
    // Signed out here as soon as the session ends anywhere else.
    session.watch((reason) => {
      void session.forget();
      view.showSignedOut();
      view.showNotice(`Signed out: this session was ended elsewhere (${reason}).`);
    });
  };
  // Between a right password and the code: what verifyMfa completes.
  let challenge: MfaChallengeFieldsFragment | null = null;

  /** One user action: buttons disabled meanwhile, failures on screen, sign-in screen once the session is over. */
  const run = async (action: () => Promise<void>): Promise<void> => {
    view.clearError();
    view.setBusy(true);
    try {
      await action();
    } catch (error) {
      // e.g. TOKEN_REVOKED after this session was revoked from another device, or a refresh refused.
      if (isUnauthenticated(error)) await session.forget();
      // A failed reset or "forgot" request stays on its screen, for the user to correct and retry.
      if (!session.signedIn && (view.state === 'signed-in' || view.state === 'loading')) view.showSignedOut();
      view.showError(describeError(error));
    } finally {
      view.setBusy(false);
    }
  };

  view.bind({
    login: (email, password) =>
      run(async () => {
        challenge = await session.login(email, password);
        if (challenge) view.showMfa();
        else await showAccount();
      }),
    verifyMfa: (code) =>
      run(async () => {
        if (!challenge) throw new Error('Log in again.');
        // Six digits come from the app; anything else is a recovery code (XXXXX-XXXXX).
        await session.verifyMfa(challenge, /^\d{6}$/.test(code) ? 'TOTP' : 'RECOVERY_CODE', code);
        challenge = null;
        await showAccount();
      }),
    startMfa: () => run(async () => view.showEnrollment(await account.startTotpEnrollment())),
    confirmMfa: (code) =>
      run(async () => {
        const codes = await account.confirmTotpEnrollment(code);
        await showAccount();
        view.showRecoveryCodes(codes);
      }),
    register: (email, password) =>
      run(async () => {
        await session.register(email, password);
        await showAccount();
      }),
    logout: () =>
      run(async () => {
        await session.logout();
        view.showSignedOut();
      }),
    logoutEverywhere: () =>
      run(async () => {
        await session.logout('ALL');
        view.showSignedOut();
      }),
    requestReset: (email) =>
      run(async () => {
        await recovery.requestPasswordReset(email);
        view.showSignedOut();
        // Gatehouse says the same whether or not the account exists, and so does the page.
        view.showNotice(`If ${email} belongs to an account, a link to reset its password is on its way. It works once, for 30 minutes.`);
      }),
    resetPassword: (newPassword) =>
      run(async () => {
        if (!link || link.action !== 'reset-password') throw new Error('Open the link from the reset mail again.');
        await recovery.resetPassword(link.token, newPassword);
        link = undefined;
        // Every session of the account has ended, this browser's included.
        await session.forget();
        view.showSignedOut();
        view.showNotice('Your password has been changed and every device signed out. Log in with the new password.');
      }),
    requestVerification: () =>
      run(async () => {
        await recovery.requestEmailVerification();
        view.showNotice('A verification link is on its way to your address.');
      }),
    reload: () => run(showAccount),
    addPasskey: () =>
      run(async () => {
        await account.addPasskey('Passkey on this device');
        await showAccount();
      }),
    signInWithPasskey: () =>
      run(async () => {
        await session.signInWithPasskey();
        await showAccount();
      }),
    revoke: (sessionId) =>
      run(async () => {
        await account.revokeSession(sessionId);
        await showAccount();
      }),
  });

  if (link?.action === 'reset-password') {
    // The reset page asks for the new password first; signing in comes after.
    view.showReset();
    view.setBusy(false);
    return;
  }
  const opened = link;
  await run(async () => {
    // The access token did not survive the reload (memory only); the refresh cookie did.
    const signedIn = await session.resume();
    if (signedIn) await showAccount();
    else view.showSignedOut();
    if (!opened) return;
    // A verification or email-change link works signed in or not (it may be opened on another device).
    const user = opened.action === 'verify-email' ? await recovery.verifyEmail(opened.token) : await recovery.confirmEmailChange(opened.token);
    if (signedIn) await showAccount();
    view.showNotice(opened.action === 'verify-email' ? `${user.email} is verified.` : `Your email address is now ${user.email}.`);
  });
}

void start(new View(document));
