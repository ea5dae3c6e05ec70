import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A TOTP secret waiting for its first code (confirmTotpEnrollment). Show it once.' })
export class TotpEnrollment {
  @Field({ description: 'Base32, for typing into an authenticator app.' })
  secret!: string;

  @Field({ description: 'otpauth://totp/... (SHA1, 6 digits, 30 s), what the QR code holds.' })
  otpauthUri!: string;

  @Field({ description: 'The QR code of otpauthUri as an SVG document.' })
  qrCodeSvg!: string;
}

@ObjectType({ description: 'New recovery codes: each works once, in place of a TOTP code. Shown only now; the old ones no longer work.' })
export class RecoveryCodes {
  @Field(() => [String])
  codes!: string[];

  @Field(() => Int)
  remaining!: number;
}
