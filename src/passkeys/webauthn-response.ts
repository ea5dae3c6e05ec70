import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { AuthReason, ErrorCode, REASONS } from '../errors/codes';
import { AppError, badUserInput, unauthenticated } from '../errors/errors';

// The parts of a browser's credential JSON the server reads before the ceremony: the shape, the challenge
// and the origin (the signed client data). Everything else is @simplewebauthn/server's to check.

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MAX_FIELD = 64 * 1024;

export interface ClientData {
  challenge: string;
  origin: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isB64 = (value: unknown): value is string => typeof value === 'string' && value.length <= MAX_FIELD && BASE64URL.test(value);

/** A refused response: BAD_USER_INPUT on `response` when registering (signed in), UNAUTHENTICATED when signing in. */
export type Refusal = (reason: AuthReason) => AppError;
export const registrationRefusal: Refusal = (reason) =>
  new AppError(ErrorCode.BAD_USER_INPUT, REASONS[reason].message, { field: 'response', reason });
export const signInRefusal: Refusal = (reason) => unauthenticated(reason);

function clientData(encoded: string, refuse: Refusal): ClientData {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (isRecord(parsed) && typeof parsed.challenge === 'string' && typeof parsed.origin === 'string') {
      return { challenge: parsed.challenge, origin: parsed.origin };
    }
  } catch {
    // answered below
  }
  throw refuse(AuthReason.PASSKEY_INVALID);
}

export function parseRegistration(value: unknown): { response: RegistrationResponseJSON; clientData: ClientData } {
  const inner = isRecord(value) ? value.response : undefined;
  if (!isRecord(value) || !isB64(value.id) || !isB64(value.rawId) || value.type !== 'public-key' || !isRecord(inner)) {
    throw badUserInput('response', 'Send the credential as the browser gives it (PublicKeyCredential.toJSON(), or startRegistration).');
  }
  if (!isB64(inner.clientDataJSON) || !isB64(inner.attestationObject)) throw badUserInput('response', 'The credential has no attestation.');
  return { response: value as unknown as RegistrationResponseJSON, clientData: clientData(inner.clientDataJSON, registrationRefusal) };
}

export function parseAssertion(value: unknown): { response: AuthenticationResponseJSON; clientData: ClientData; userHandle?: string } {
  const inner = isRecord(value) ? value.response : undefined;
  if (
    !isRecord(value) ||
    !isB64(value.id) ||
    value.type !== 'public-key' ||
    !isRecord(inner) ||
    !isB64(inner.clientDataJSON) ||
    !isB64(inner.authenticatorData) ||
    !isB64(inner.signature)
  ) {
    throw badUserInput('response', 'Send the assertion as the browser gives it (PublicKeyCredential.toJSON(), or startAuthentication).');
  }
  const userHandle = isB64(inner.userHandle) ? inner.userHandle : undefined;
  return { response: value as unknown as AuthenticationResponseJSON, clientData: clientData(inner.clientDataJSON, signInRefusal), userHandle };
}

/**
 * What @simplewebauthn/server's refusal means for the client: an RP ID hash that is not ours is named (a
 * passkey made for another site, or a misconfigured WEBAUTHN_RP_ID); the rest reads as an invalid passkey.
 */
export function libraryRefusal(error: unknown, refuse: Refusal): AppError {
  const message = error instanceof Error ? error.message : '';
  if (/RP ID/i.test(message)) return refuse(AuthReason.PASSKEY_RP_ID_REFUSED);
  if (/origin/i.test(message)) return refuse(AuthReason.PASSKEY_ORIGIN_REFUSED);
  return refuse(AuthReason.PASSKEY_INVALID);
}
