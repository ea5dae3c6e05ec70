import './style.css';
import { Api, codeMethod, errorText, TOKEN_FIELDS, type Tokens } from './api';
import { busy, byId, say } from './dom';
import { EventsPage } from './events';
import { LiveEvents } from './live';
import { UsersPage } from './users';

// The admin console: sign in as an ADMIN (with the second factor when enrolled), then the users and the
// security events pages, by the URL's fragment (#/users, #/users/<id>, #/events).

const LOGIN = `mutation ConsoleLogin($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on AuthPayload { ${TOKEN_FIELDS} }
    ... on MfaChallenge { challengeToken methods }
  }
}`;
const VERIFY_MFA = `mutation ConsoleVerifyMfa($input: VerifyMfaInput!) { verifyMfa(input: $input) { ${TOKEN_FIELDS} } }`;
const LOGOUT = 'mutation ConsoleLogout { logout }';

type LoginResult = ({ __typename: 'AuthPayload' } & Tokens) | { __typename: 'MfaChallenge'; challengeToken: string; methods: string[] };

const api = new Api();
const users = new UsersPage(api);
const events = new EventsPage(api);
const live = new LiveEvents({
  token: () => api.accessToken,
  onEvent: (event) => {
    events.onLiveEvent(event);
    if (event.userId && event.userId === users.openUserId) void users.loadEvents(event.userId);
  },
  onState: (state, detail) => {
    const element = byId('live');
    element.hidden = false;
    element.dataset.live = state;
    element.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : `Not live${detail ? `: ${detail}` : ''}`;
  },
  // The socket's token expired or its session ended: a refresh says which.
  onSignedOut: () =>
    void api.refresh().then(
      () => live.start(),
      (error) => signOut(`Signed out: ${errorText(error)}`),
    ),
});

let challengeToken: string | undefined;
let signedInAs: Tokens['user'] | undefined;

api.reauthPrompt = askForPassword;
api.onSignedOut = (why) => void signOut(`Signed out: ${why}`);
api.onToken = (token) => {
  if (token && signedInAs) live.renew(token);
};

/** Shows the console for an admin, or says why not and ends the session it got. */
async function enter(tokens: Tokens): Promise<void> {
  if (tokens.user.role !== 'ADMIN') {
    api.adopt(tokens);
    await api.post(LOGOUT).catch(() => undefined);
    api.forget();
    showSignIn(`Admins only: ${tokens.user.email} is a ${tokens.user.role}, and this console is for Gatehouse administrators.`, 'error');
    return;
  }
  signedInAs = tokens.user;
  api.adopt(tokens);
  document.body.dataset.state = 'signed-in';
  byId('sign-in-page').hidden = true;
  byId('nav').hidden = false;
  byId('sign-out').hidden = false;
  const whoami = byId('whoami');
  whoami.hidden = false;
  whoami.textContent = tokens.user.email;
  live.start();
  await route();
}

function showSignIn(message = '', state: 'info' | 'error' = 'info'): void {
  signedInAs = undefined;
  live.close();
  document.body.dataset.state = 'signed-out';
  for (const id of ['users-page', 'events-page', 'nav', 'sign-out', 'whoami', 'live']) byId(id).hidden = true;
  byId('sign-in-page').hidden = false;
  byId<HTMLFormElement>('sign-in').hidden = false;
  byId<HTMLFormElement>('mfa').hidden = true;
  challengeToken = undefined;
  say(byId('sign-in-status'), message, state);
}

async function signOut(message = 'Signed out.'): Promise<void> {
  if (api.accessToken) await api.post(LOGOUT).catch(() => undefined);
  api.forget();
  showSignIn(message);
}

async function route(): Promise<void> {
  if (!signedInAs) return;
  const [, page = 'users', id] = location.hash.split('/');
  const onEvents = page === 'events';
  byId('users-page').hidden = onEvents;
  byId('events-page').hidden = !onEvents;
  byId('nav-users').toggleAttribute('aria-current', !onEvents);
  byId('nav-events').toggleAttribute('aria-current', onEvents);
  if (onEvents) {
    await events.load();
  } else {
    await users.loadList();
    if (id) await users.openUser(decodeURIComponent(id));
  }
}

/** The dialog that asks for the password (and code) before a sensitive change; null when cancelled. */
function askForPassword(why: string): Promise<{ password: string; code?: string } | null> {
  const dialog = byId<HTMLDialogElement>('reauth');
  const form = byId<HTMLFormElement>('reauth-form');
  byId('reauth-why').textContent = why;
  form.reset();
  dialog.showModal();
  return new Promise((resolve) => {
    const finish = (answer: { password: string; code?: string } | null) => {
      form.removeEventListener('submit', submit);
      byId('reauth-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      dialog.close();
      resolve(answer);
    };
    const submit = (event: Event) => {
      event.preventDefault();
      const data = new FormData(form);
      finish({ password: String(data.get('password') ?? ''), code: String(data.get('code') ?? '') || undefined });
    };
    const cancel = (event: Event) => {
      event.preventDefault();
      finish(null);
    };
    form.addEventListener('submit', submit);
    byId('reauth-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel);
  });
}

byId<HTMLFormElement>('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const data = new FormData(form);
  const input = { email: String(data.get('email') ?? ''), password: String(data.get('password') ?? '') };
  void busy(form.querySelector('button')!, async () => {
    try {
      const { login } = await api.post<{ login: LoginResult }>(LOGIN, { input }, false);
      (form.elements.namedItem('password') as HTMLInputElement).value = '';
      if (login.__typename === 'MfaChallenge') {
        challengeToken = login.challengeToken;
        form.hidden = true;
        byId<HTMLFormElement>('mfa').hidden = false;
        document.body.dataset.state = 'mfa';
        say(byId('sign-in-status'), '');
        byId<HTMLInputElement>('mfa').querySelector('input')!.focus();
        return;
      }
      await enter(login);
    } catch (error) {
      say(byId('sign-in-status'), errorText(error), 'error');
    }
  });
});

byId<HTMLFormElement>('mfa').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const code = String(new FormData(form).get('code') ?? '').trim();
  void busy(form.querySelector('button')!, async () => {
    try {
      const input = { challengeToken, method: codeMethod(code), code };
      const { verifyMfa } = await api.post<{ verifyMfa: Tokens }>(VERIFY_MFA, { input }, false);
      form.reset();
      await enter(verifyMfa);
    } catch (error) {
      say(byId('sign-in-status'), errorText(error), 'error');
    }
  });
});

byId('mfa-cancel').addEventListener('click', () => showSignIn());
byId('sign-out').addEventListener('click', () => void busy(undefined, () => signOut()));
window.addEventListener('hashchange', () => void route());

// Still signed in from before a reload? The refresh cookie says (REFRESH_TOKEN_COOKIE=true).
void busy(undefined, async () => {
  try {
    await enter(await api.refresh());
  } catch {
    showSignIn();
  }
});
