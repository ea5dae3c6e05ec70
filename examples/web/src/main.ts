import './style.css';
import { Account } from './account';
import { loadConfig } from './config';
import { describeError, isUnauthenticated } from './errors';
import { Session } from './session';
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
  const showAccount = async () => view.showSignedIn(await account.load());

  /** One user action: buttons disabled meanwhile, failures on screen, sign-in screen once the session is over. */
  const run = async (action: () => Promise<void>): Promise<void> => {
    view.clearError();
    view.setBusy(true);
    try {
      await action();
    } catch (error) {
      // e.g. TOKEN_REVOKED after this session was revoked from another device, or a refresh refused.
      if (isUnauthenticated(error)) await session.forget();
      if (!session.signedIn) view.showSignedOut();
      view.showError(describeError(error));
    } finally {
      view.setBusy(false);
    }
  };

  view.bind({
    login: (email, password) =>
      run(async () => {
        await session.login(email, password);
        await showAccount();
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
    reload: () => run(showAccount),
    revoke: (sessionId) =>
      run(async () => {
        await account.revokeSession(sessionId);
        await showAccount();
      }),
  });

  // The access token did not survive the reload (memory only); the refresh cookie did.
  await run(async () => ((await session.resume()) ? showAccount() : view.showSignedOut()));
}

void start(new View(document));
