import type { AccountView, TotpEnrollment } from './account';
import { describeDevice } from './device';
import type { ShownError } from './errors';
import type { SessionInfo } from './operations';

export interface ViewActions {
  login(email: string, password: string): void;
  /** The code step of a sign-in with a second factor. */
  verifyMfa(code: string): void;
  /** Signed in: show a new TOTP secret to add to an app. */
  startMfa(): void;
  /** The app's first code, which turns TOTP on. */
  confirmMfa(code: string): void;
  register(email: string, password: string): void;
  /** "Forgot password?": mail a reset link to this address. */
  requestReset(email: string): void;
  /** The reset page's form: the new password for the link this page was opened from. */
  resetPassword(newPassword: string): void;
  /** Signed in with an unverified address: mail a new verification link. */
  requestVerification(): void;
  logout(): void;
  logoutEverywhere(): void;
  reload(): void;
  revoke(sessionId: string): void;
  /** Signed in: register a passkey of this device (the browser asks the authenticator). */
  addPasskey(): void;
  /** Signed out: sign in with a passkey the browser offers. */
  signInWithPasskey(): void;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * The page's DOM and nothing else. index.html holds both screens; `data-state` on <body> picks the one
 * shown (see style.css), and `aria-busy` marks a request in progress, which tests can wait on too.
 * Text from the server goes in through textContent only, never innerHTML.
 */
export class View {
  private readonly body: HTMLElement;

  constructor(private readonly document: Document) {
    this.body = document.body;
  }

  /** The screen shown (index.html's data-state values). */
  get state(): string {
    return this.body.dataset.state ?? 'loading';
  }

  bind(actions: ViewActions): void {
    this.onSubmit('login-form', (email, password) => actions.login(email, password));
    this.onSubmit('register-form', (email, password) => actions.register(email, password));
    this.onSubmit('forgot-form', (email) => actions.requestReset(email));
    this.onSubmit('reset-form', (_email, password) => actions.resetPassword(password));
    this.onCode('mfa-form', (code) => actions.verifyMfa(code));
    this.onCode('mfa-confirm-form', (code) => actions.confirmMfa(code));
    this.element('mfa-start').addEventListener('click', () => actions.startMfa());
    this.element('forgot').addEventListener('click', () => this.showForgot());
    for (const back of this.document.querySelectorAll('button.back')) back.addEventListener('click', () => this.showSignedOut());
    this.element('verify').addEventListener('click', () => actions.requestVerification());
    this.element('logout').addEventListener('click', () => actions.logout());
    this.element('logout-all').addEventListener('click', () => actions.logoutEverywhere());
    this.element('reload').addEventListener('click', () => actions.reload());
    this.element('passkey-add').addEventListener('click', () => actions.addPasskey());
    this.element('passkey-login').addEventListener('click', () => actions.signInWithPasskey());
    this.element('sessions').addEventListener('click', (event) => {
      const button = (event.target as Element).closest('button[data-revoke]');
      if (button) actions.revoke(button.getAttribute('data-revoke')!);
    });
  }

  showSignedOut(): void {
    this.body.dataset.state = 'signed-out';
    this.resetForms('forgot-form', 'reset-form', 'mfa-form');
    this.hideEnrollment();
    this.element('me-email').textContent = '';
    this.element('me-verified').textContent = '';
    this.element('me-role').textContent = '';
    this.element('sessions').replaceChildren();
  }

  /** Password accepted, a second factor to go: the code screen. */
  showMfa(): void {
    this.body.dataset.state = 'mfa';
    this.resetForms('login-form', 'register-form', 'mfa-form');
  }

  /** A new secret: the QR code and the key, until the app's first code confirms it. */
  showEnrollment({ secret, qrCodeSvg }: TotpEnrollment): void {
    // An <img> of the SVG document, not its markup in the page: nothing from the server becomes DOM.
    this.element<HTMLImageElement>('mfa-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrCodeSvg)}`;
    this.element('mfa-secret').textContent = secret;
    this.element('mfa-enroll').hidden = false;
    this.element('mfa-start').hidden = true;
  }

  /** The recovery codes, shown once after enrollment. */
  showRecoveryCodes(codes: string[]): void {
    this.hideEnrollment();
    this.element('mfa-code-list').replaceChildren(
      ...codes.map((code) => {
        const item = this.document.createElement('li');
        item.textContent = code;
        return item;
      }),
    );
    this.element('mfa-codes').hidden = false;
  }

  showSignedIn({ user, sessions, mfaEnabled, passkeys }: AccountView): void {
    this.body.dataset.state = 'signed-in';
    // The password must not linger in a form that is hidden but still in the page.
    this.resetForms('login-form', 'register-form', 'forgot-form', 'reset-form', 'mfa-form');
    this.element('mfa-status').textContent = mfaEnabled ? 'On: signing in asks for a code from your authenticator app.' : 'Off.';
    this.element('mfa-start').hidden = mfaEnabled || !this.element('mfa-enroll').hidden;
    this.element('me-email').textContent = user.email;
    this.element('me-verified').replaceChildren(user.emailVerifiedAt ? this.time(user.emailVerifiedAt) : 'Not yet');
    this.element('verify').hidden = user.emailVerifiedAt != null;
    this.element('me-role').textContent = user.role;
    this.element('sessions').replaceChildren(...sessions.map((session) => this.sessionItem(session)));
    this.element('passkeys').replaceChildren(
      ...passkeys.map((passkey) => {
        const item = this.document.createElement('li');
        item.textContent = `${passkey.name} (${passkey.backedUp ? 'synced' : 'this device'}), added `;
        item.append(this.time(passkey.createdAt));
        return item;
      }),
    );
  }

  /** The "Forgot password?" screen. */
  showForgot(): void {
    this.clearError();
    this.body.dataset.state = 'forgot';
    this.resetForms('login-form', 'register-form');
  }

  /** The page a reset link opens: a new password, nothing else. */
  showReset(): void {
    this.body.dataset.state = 'reset';
  }

  /** Good news that stays on screen until the next action (a mail sent, an address verified). */
  showNotice(message: string): void {
    const box = this.element('notice');
    box.textContent = message;
    box.hidden = false;
  }

  showError({ code, reason, field, message }: ShownError): void {
    const box = this.element('error');
    const label = this.document.createElement('strong');
    label.textContent = [code, reason ?? field].filter(Boolean).join(' · ');
    box.replaceChildren(label, ` ${message}`);
    box.hidden = false;
  }

  clearError(): void {
    for (const id of ['error', 'notice']) {
      const box = this.element(id);
      box.replaceChildren();
      box.hidden = true;
    }
  }

  setBusy(busy: boolean): void {
    // One action at a time: a second click would, for instance, log in twice and open two sessions.
    this.body.setAttribute('aria-busy', String(busy));
    for (const button of this.document.querySelectorAll('button')) button.disabled = busy;
  }

  private sessionItem(session: SessionInfo): HTMLLIElement {
    const item = this.document.createElement('li');
    item.dataset.sessionId = session.id;
    if (session.current) item.setAttribute('aria-current', 'true');

    const device = this.document.createElement('span');
    device.className = 'device';
    device.textContent = describeDevice(session.userAgent);
    device.title = session.userAgent ?? '';

    const details = this.document.createElement('span');
    details.className = 'details';
    details.append(
      [session.ip, 'signed in '].filter(Boolean).join(' · '),
      this.time(session.createdAt),
      ' · last used ',
      this.time(session.lastUsedAt),
    );

    const action = this.document.createElement(session.current ? 'span' : 'button');
    if (session.current) {
      // Ending this one is "Log out"; a revoke button here would do the same less clearly.
      action.className = 'badge';
      action.textContent = 'This browser';
    } else {
      action.textContent = 'Revoke';
      action.dataset.revoke = session.id;
      action.setAttribute('aria-label', `Revoke ${device.textContent} session`);
    }
    item.append(device, details, action);
    return item;
  }

  private hideEnrollment(): void {
    this.resetForms('mfa-confirm-form');
    this.element('mfa-enroll').hidden = true;
    this.element('mfa-secret').textContent = '';
    this.element<HTMLImageElement>('mfa-qr').removeAttribute('src');
    this.element('mfa-codes').hidden = true;
    this.element('mfa-code-list').replaceChildren();
  }

  private onCode(formId: string, submit: (code: string) => void): void {
    const form = this.element<HTMLFormElement>(formId);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit(String(new FormData(form).get('code') ?? '').trim());
    });
  }

  private resetForms(...ids: string[]): void {
    for (const id of ids) this.element<HTMLFormElement>(id).reset();
  }

  private time(iso: string): HTMLTimeElement {
    const time = this.document.createElement('time');
    time.dateTime = iso;
    time.textContent = dateTime.format(new Date(iso));
    return time;
  }

  private onSubmit(formId: string, submit: (email: string, password: string) => void): void {
    const form = this.element<HTMLFormElement>(formId);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      submit(String(data.get('email') ?? ''), String(data.get('password') ?? ''));
    });
  }

  private element<T extends HTMLElement = HTMLElement>(id: string): T {
    const element = this.document.getElementById(id);
    if (!element) throw new Error(`index.html has no #${id}`);
    return element as T;
  }
}
