// A software WebAuthn authenticator, as a browser and a platform authenticator would answer
// navigator.credentials.create/get: a P-256 key from node:crypto per credential, "none" attestation,
// CBOR by @levischuck/tiny-cbor (what SimpleWebAuthn decodes with), authenticator data with the flags a
// test chooses (UP, UV, BE, BS, AT) and a signature counter the test can move, or move backwards.
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { encodeCBOR, type CBORType } from '@levischuck/tiny-cbor';

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;
const b64url = (bytes: Uint8Array | Buffer): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

export interface AuthenticatorOptions {
  /** The page the browser says the request came from (clientDataJSON.origin). */
  origin: string;
  /** The RP ID whose hash goes into the authenticator data; by default the options' own. */
  rpId?: string;
  /** User verified (UV); true by default. */
  userVerified?: boolean;
  /** Backup eligible and backed up (BE and BS): a synced passkey. False: device-bound. */
  backedUp?: boolean;
  /** The first signature counter (0: an authenticator that does not count). */
  signCount?: number;
}

export interface SoftCredential {
  id: string;
  privateKey: KeyObject;
  userHandle: string;
  rpId: string;
  signCount: number;
  backedUp: boolean;
}

interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}

interface RequestOptions {
  challenge: string;
  rpId?: string;
}

function authenticatorData(rpId: string, flags: number, signCount: number, attested?: Buffer): Buffer {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(signCount >>> 0);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), counter, ...(attested ? [attested] : [])]);
}

function flagsOf(userVerified: boolean, backedUp: boolean): number {
  return FLAG.UP | (userVerified ? FLAG.UV : 0) | (backedUp ? FLAG.BE | FLAG.BS : 0);
}

/** A passkey provider holding any number of credentials, as one device or password manager would. */
export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  /** Answers passkeyRegistrationOptions as navigator.credentials.create would (RegistrationResponseJSON). */
  create(options: unknown, settings: AuthenticatorOptions): { response: Record<string, unknown>; credential: SoftCredential } {
    const { challenge, rp, user } = options as CreationOptions;
    const rpId = settings.rpId ?? rp.id ?? 'localhost';
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = encodeCBOR(
      new Map<number, CBORType>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const credentialId = randomBytes(16);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16) /* AAGUID: none */, idLength, credentialId, Buffer.from(coseKey)]);
    const backedUp = settings.backedUp ?? false;
    const signCount = settings.signCount ?? 0;
    const authData = authenticatorData(rpId, flagsOf(settings.userVerified ?? true, backedUp) | FLAG.AT, signCount, attested);
    const attestationObject = encodeCBOR(
      new Map<string, CBORType>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, CBORType>()],
        ['authData', authData],
      ]),
    );
    const clientDataJSON = JSON.stringify({ type: 'webauthn.create', challenge, origin: settings.origin, crossOrigin: false });
    const credential: SoftCredential = { id: b64url(credentialId), privateKey, userHandle: user.id, rpId, signCount, backedUp };
    this.credentials.push(credential);
    return {
      credential,
      response: {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(Buffer.from(clientDataJSON)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
      },
    };
  }

  /**
   * Answers passkeyLoginOptions as navigator.credentials.get would (AuthenticationResponseJSON), with
   * `credential` (by default the newest). The counter moves on by one unless `signCount` says otherwise.
   */
  get(
    options: unknown,
    settings: Omit<AuthenticatorOptions, 'backedUp'> & { credential?: SoftCredential; signCount?: number },
  ): Record<string, unknown> {
    const { challenge, rpId: optionsRpId } = options as RequestOptions;
    const credential = settings.credential ?? this.credentials[this.credentials.length - 1];
    if (!credential) throw new Error('no credential to sign in with');
    const rpId = settings.rpId ?? optionsRpId ?? credential.rpId;
    if (credential.signCount > 0 || settings.signCount !== undefined) credential.signCount = settings.signCount ?? credential.signCount + 1;
    const authData = authenticatorData(rpId, flagsOf(settings.userVerified ?? true, credential.backedUp), credential.signCount);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: settings.origin, crossOrigin: false }));
    const signer = createSign('SHA256');
    signer.update(Buffer.concat([authData, sha256(clientDataJSON)]));
    const signature = signer.sign(credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
    };
  }
}
